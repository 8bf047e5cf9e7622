#include "whatsapp/binary/node.h"

#include <algorithm>
#include <charconv>

namespace wadesk::wa {

std::optional<std::string_view> Attrs::Get(std::string_view key) const {
    for (const auto& a : items_) {
        if (a.key == key) return std::string_view(a.value);
    }
    return std::nullopt;
}

void Attrs::Set(std::string key, std::string value) {
    for (auto& a : items_) {
        if (a.key == key) {
            a.value = std::move(value);
            return;
        }
    }
    items_.push_back({std::move(key), std::move(value)});
}

std::size_t Attrs::Remove(std::string_view key) {
    auto before = items_.size();
    std::erase_if(items_, [&](const Attr& a) { return a.key == key; });
    return before - items_.size();
}

std::string_view Node::AttrOr(std::string_view key, std::string_view fallback) const {
    auto v = attrs.Get(key);
    return v ? *v : fallback;
}

std::optional<std::int64_t> Node::GetAttrInt(std::string_view key) const {
    auto v = attrs.Get(key);
    if (!v || v->empty()) return std::nullopt;
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc{} || p != v->data() + v->size()) return std::nullopt;
    return out;
}

std::span<const Node> Node::Children() const {
    if (const auto* list = std::get_if<NodeList>(&content)) return *list;
    return {};
}

std::vector<const Node*> Node::Children(std::string_view child_tag) const {
    std::vector<const Node*> out;
    for (const auto& c : Children()) {
        if (c.tag == child_tag) out.push_back(&c);
    }
    return out;
}

const Node* Node::Child(std::string_view child_tag) const {
    for (const auto& c : Children()) {
        if (c.tag == child_tag) return &c;
    }
    return nullptr;
}

Node* Node::Child(std::string_view child_tag) {
    if (auto* list = std::get_if<NodeList>(&content)) {
        for (auto& c : *list) {
            if (c.tag == child_tag) return &c;
        }
    }
    return nullptr;
}

Node& Node::AddChild(Node child) {
    if (std::holds_alternative<std::monostate>(content)) content = NodeList{};
    auto& list = std::get<NodeList>(content);
    list.push_back(std::move(child));
    return list.back();
}

std::optional<std::string_view> Node::ContentString() const {
    if (const auto* b = ContentBytes()) return AsString(*b);
    return std::nullopt;
}

bool Node::operator==(const Node& other) const {
    return tag == other.tag && attrs == other.attrs && content == other.content;
}

namespace {

bool IsPrintable(BytesView b) {
    return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; });
}

void AppendEscaped(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
            case '\'': out += "&apos;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    static constexpr char kHex[] = "0123456789abcdef";
                    out += "\\x";
                    out += kHex[(c >> 4) & 0xf];
                    out += kHex[c & 0xf];
                } else {
                    out += c;
                }
        }
    }
}

void Write(std::string& out, const Node& node, std::size_t max_bytes, int depth) {
    out += '<';
    AppendEscaped(out, node.tag);
    for (const auto& a : node.attrs) {
        out += ' ';
        AppendEscaped(out, a.key);
        out += "='";
        AppendEscaped(out, a.value);
        out += '\'';
    }
    if (std::holds_alternative<std::monostate>(node.content)) {
        out += "/>";
        return;
    }
    out += '>';
    if (const auto* list = std::get_if<NodeList>(&node.content)) {
        for (const auto& c : *list) {
            if (depth > 64) {
                out += "...";
                break;
            }
            Write(out, c, max_bytes, depth + 1);
        }
    } else {
        const auto& b = std::get<Bytes>(node.content);
        BytesView shown(b.data(), std::min(b.size(), max_bytes));
        if (IsPrintable(shown)) {
            out += '"';
            AppendEscaped(out, AsString(shown));
            out += '"';
        } else {
            out += ToHex(shown);
        }
        if (shown.size() < b.size()) out += "...(" + std::to_string(b.size()) + " bytes)";
    }
    out += "</";
    AppendEscaped(out, node.tag);
    out += '>';
}

}  // namespace

std::string ToDebugString(const Node& node, std::size_t max_bytes) {
    std::string out;
    Write(out, node, max_bytes, 0);
    return out;
}

}  // namespace wadesk::wa
