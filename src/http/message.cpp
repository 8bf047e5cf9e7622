#include "http/message.h"

#include <cctype>

#include "core/text.h"

namespace wadesk::http {
namespace {

const std::string kEmpty;

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            int hi = HexValue(in[i + 1]);
            int lo = HexValue(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return true;
}

}  // namespace

void Request::AddHeader(std::string_view name, std::string_view value) {
    std::string key = LowerAscii(name);
    auto [it, inserted] = headers.try_emplace(std::move(key), value);
    if (!inserted) {
        it->second += ", ";
        it->second += value;
    }
}

const std::string& Request::Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? kEmpty : it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
}

const std::string& Request::Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? kEmpty : it->second;
}

bool ParseTarget(const std::string& target, std::string& path, std::map<std::string, std::string>& query) {
    std::string_view t(target);
    auto q = t.find('?');
    std::string_view raw_path = t.substr(0, q);
    if (raw_path.empty() || raw_path.front() != '/') return false;
    if (!PercentDecode(raw_path, false, path)) return false;
    query.clear();
    if (q == std::string_view::npos) return true;
    std::string_view rest = t.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        std::string key, value;
        if (!PercentDecode(pair.substr(0, eq), true, key)) return false;
        if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, value)) return false;
        query.emplace(std::move(key), std::move(value));
    }
    return true;
}

}  // namespace wadesk::http
