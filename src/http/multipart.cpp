#include "http/multipart.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace wadesk::http {

namespace {

Error Bad(std::string what) { return MakeError("bad_multipart", "multipart body: " + std::move(what)); }

// Parameters of a header value: `value; k=v; k="quoted \" value"`. Keys lower-cased.
std::vector<std::pair<std::string, std::string>> Params(std::string_view v, std::string& head) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto semi = v.find(';');
    head = LowerAscii(TrimAscii(v.substr(0, semi)));
    std::size_t i = semi == std::string_view::npos ? v.size() : semi + 1;
    while (i < v.size()) {
        while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ';')) ++i;
        const std::size_t key_start = i;
        while (i < v.size() && v[i] != '=' && v[i] != ';') ++i;
        std::string key = LowerAscii(TrimAscii(v.substr(key_start, i - key_start)));
        std::string value;
        if (i < v.size() && v[i] == '=') {
            ++i;
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            if (i < v.size() && v[i] == '"') {
                ++i;
                while (i < v.size() && v[i] != '"') {
                    if (v[i] == '\\' && i + 1 < v.size()) ++i;
                    value.push_back(v[i++]);
                }
                if (i < v.size()) ++i;  // closing quote
                while (i < v.size() && v[i] != ';') ++i;
            } else {
                const std::size_t vs = i;
                while (i < v.size() && v[i] != ';') ++i;
                value = std::string(TrimAscii(v.substr(vs, i - vs)));
            }
        }
        if (!key.empty()) out.emplace_back(std::move(key), std::move(value));
    }
    return out;
}

}  // namespace

std::optional<std::string> FormBoundary(std::string_view content_type) {
    std::string head;
    const auto params = Params(content_type, head);
    if (head != "multipart/form-data") return std::nullopt;
    for (const auto& [k, v] : params) {
        if (k != "boundary") continue;
        if (v.empty() || v.size() > 70) return std::nullopt;
        for (unsigned char c : v) {
            if (c < 0x20 || c > 0x7e) return std::nullopt;
        }
        return v;
    }
    return std::nullopt;
}

Result<std::vector<FormPart>> ParseMultipart(std::string_view boundary, std::string_view body) {
    if (boundary.empty()) return Bad("no boundary");
    const std::string delimiter = "--" + std::string(boundary);
    const std::string next = "\r\n" + delimiter;
    // The first delimiter: at the start, or after a preamble ending in CRLF.
    std::size_t pos;
    if (body.starts_with(delimiter)) {
        pos = delimiter.size();
    } else {
        const auto at = body.find(next);
        if (at == std::string_view::npos) return Bad("no opening boundary");
        pos = at + next.size();
    }
    std::vector<FormPart> parts;
    for (;;) {
        if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
        // Transport padding, then CRLF.
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
        if (body.substr(pos, 2) != "\r\n") return Bad("a boundary line does not end in CRLF");
        pos += 2;
        if (parts.size() == kMaxFormParts) return Bad("more than " + std::to_string(kMaxFormParts) + " parts");
        FormPart part;
        bool has_disposition = false;
        for (;;) {  // header lines until an empty one
            const auto eol = body.find("\r\n", pos);
            if (eol == std::string_view::npos) return Bad("a part's headers do not end");
            if (eol - pos > 8192) return Bad("a part header line is too long");
            const std::string_view line = body.substr(pos, eol - pos);
            pos = eol + 2;
            if (line.empty()) break;
            const auto colon = line.find(':');
            if (colon == std::string_view::npos) return Bad("a part header line without ':'");
            const std::string name = LowerAscii(TrimAscii(line.substr(0, colon)));
            const std::string_view value = TrimAscii(line.substr(colon + 1));
            if (name == "content-disposition") {
                std::string head;
                const auto params = Params(value, head);
                if (head != "form-data") return Bad("a part is not form-data");
                has_disposition = true;
                for (const auto& [k, v] : params) {
                    if (k == "name") part.name = v;
                    if (k == "filename") part.filename = v;
                }
            } else if (name == "content-type") {
                part.content_type = std::string(value);
            }
        }
        if (!has_disposition || part.name.empty()) return Bad("a part without Content-Disposition form-data; name");
        const auto end = body.find(next, pos);
        if (end == std::string_view::npos) return Bad("a part without a closing boundary");
        part.data = body.substr(pos, end - pos);
        parts.push_back(std::move(part));
        pos = end + next.size();
    }
}

}  // namespace wadesk::http
