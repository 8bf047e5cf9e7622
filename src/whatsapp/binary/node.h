#pragma once
// Node: the in-memory form of one WhatsApp binary stanza (see doc comment in encoder.h for the
// wire format). A node is a tag, an ordered list of string attributes and optional content:
// nothing, a list of child nodes, or bytes.
//
// Attribute values are text; JIDs are carried in their textual form ("15551234567:5@s.whatsapp.net")
// and the encoder picks the JID wire forms from the text. Content that a peer sent as a string
// encoding (token, packed digits, JID) decodes to the UTF-8 bytes of that string.
//
// An empty child list (LIST_EMPTY on the wire) and no content are different things: the first is
// a std::vector<Node> with no elements, the second std::monostate.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bytes.h"

namespace wadesk::wa {

struct Attr {
    std::string key;
    std::string value;

    bool operator==(const Attr&) const = default;
};

// Order-preserving attribute list. Lookups are linear (stanzas carry a handful of attributes).
// The wire does not forbid repeated keys; Get returns the first.
class Attrs {
public:
    Attrs() = default;
    Attrs(std::initializer_list<Attr> attrs) : items_(attrs) {}
    explicit Attrs(std::vector<Attr> attrs) : items_(std::move(attrs)) {}

    // The value of `key`, or nullopt. The view lives as long as this Attrs is not modified.
    std::optional<std::string_view> Get(std::string_view key) const;
    bool Has(std::string_view key) const { return Get(key).has_value(); }
    // Replaces the first `key` or appends it.
    void Set(std::string key, std::string value);
    // Appends without checking for an existing key.
    void Add(std::string key, std::string value) { items_.push_back({std::move(key), std::move(value)}); }
    // Removes every `key`; returns how many were removed.
    std::size_t Remove(std::string_view key);

    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    auto begin() const { return items_.begin(); }
    auto end() const { return items_.end(); }
    const std::vector<Attr>& items() const { return items_; }

    bool operator==(const Attrs&) const = default;

private:
    std::vector<Attr> items_;
};

struct Node;
using NodeList = std::vector<Node>;
using NodeContent = std::variant<std::monostate, NodeList, Bytes>;

struct Node {
    std::string tag;
    Attrs attrs;
    NodeContent content;

    Node() = default;
    explicit Node(std::string tag_, Attrs attrs_ = {}) : tag(std::move(tag_)), attrs(std::move(attrs_)) {}
    Node(std::string tag_, Attrs attrs_, NodeList children)
        : tag(std::move(tag_)), attrs(std::move(attrs_)), content(std::move(children)) {}
    Node(std::string tag_, Attrs attrs_, Bytes bytes)
        : tag(std::move(tag_)), attrs(std::move(attrs_)), content(std::move(bytes)) {}

    std::optional<std::string_view> GetAttr(std::string_view key) const { return attrs.Get(key); }
    // The attribute, or `fallback` when absent.
    std::string_view AttrOr(std::string_view key, std::string_view fallback) const;
    // The attribute as a canonical decimal integer (optional leading '-'); nullopt when absent or
    // not a number that fits in int64.
    std::optional<std::int64_t> GetAttrInt(std::string_view key) const;

    bool HasChildren() const { return std::holds_alternative<NodeList>(content); }
    // All children; empty when the content is not a child list.
    std::span<const Node> Children() const;
    // Children with this tag, in order.
    std::vector<const Node*> Children(std::string_view tag) const;
    // The first child with this tag, or nullptr.
    const Node* Child(std::string_view tag) const;
    Node* Child(std::string_view tag);
    // Appends a child, turning no content into a child list. REQUIRES: content is not bytes.
    Node& AddChild(Node child);

    // The content bytes, or nullptr when the content is not bytes.
    const Bytes* ContentBytes() const { return std::get_if<Bytes>(&content); }
    // The content bytes as text, or nullopt when the content is not bytes.
    std::optional<std::string_view> ContentString() const;

    bool operator==(const Node& other) const;
};

// XML-like text for logs and test failures: <iq id='1' type='get'><ping/></iq>. Byte content is
// shown as text when printable UTF-8/ASCII, else as hex; long content is truncated to `max_bytes`.
std::string ToDebugString(const Node& node, std::size_t max_bytes = 64);

}  // namespace wadesk::wa
