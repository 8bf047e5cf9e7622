// libFuzzer target: a multipart/form-data request body to ParseMultipart, with a fixed boundary,
// and the input's first line as a Content-Type to FormBoundary.
// Invariants: refusals are bad_multipart; every part's bytes lie inside the body and contain no
// delimiter ("\r\n--" boundary); a part has a name; at most kMaxFormParts parts; re-encoding the
// parts (as a client would) parses back to the same parts.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "http/multipart.h"

using namespace wadesk;
using namespace wadesk::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto eol = input.find('\n');
    if (auto b = FormBoundary(input.substr(0, eol))) {
        FUZZ_CHECK(!b->empty() && b->size() <= 70, "a boundary out of 1..70 characters");
    }
    const std::string boundary = "XyZ";
    auto parts = ParseMultipart(boundary, input);
    if (!parts) {
        FUZZ_CHECK(parts.error().code == "bad_multipart", "a refusal with another code");
        return 0;
    }
    FUZZ_CHECK(parts->size() <= kMaxFormParts, "too many parts");
    std::string again;
    for (const auto& p : *parts) {
        FUZZ_CHECK(p.data.data() >= input.data() && p.data.data() + p.data.size() <= input.data() + input.size(),
                   "a part outside the body");
        FUZZ_CHECK(p.data.find("\r\n--" + boundary) == std::string_view::npos, "a part holds a delimiter");
        FUZZ_CHECK(!p.name.empty(), "a part without a name");
        if (p.name.find_first_of("\"\\\r\n") != std::string::npos ||
            (p.filename && p.filename->find_first_of("\"\\\r\n") != std::string::npos) ||
            p.content_type.find_first_of("\r\n") != std::string::npos) {
            return 0;  // not re-encodable as plain quoted strings
        }
        again += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
        if (p.filename) again += "; filename=\"" + *p.filename + "\"";
        again += "\r\n";
        if (!p.content_type.empty()) again += "Content-Type: " + p.content_type + "\r\n";
        again += "\r\n";
        again += p.data;
        again += "\r\n";
    }
    again += "--" + boundary + "--\r\n";
    if (parts->empty()) return 0;
    auto back = ParseMultipart(boundary, again);
    FUZZ_CHECK(back.has_value() && back->size() == parts->size(), "re-encoded parts do not parse back");
    for (std::size_t i = 0; i < parts->size(); ++i) {
        const auto& a = (*parts)[i];
        const auto& b = (*back)[i];
        FUZZ_CHECK(a.name == b.name && a.filename == b.filename && a.data == b.data, "a part changed on re-encoding");
    }
    return 0;
}
