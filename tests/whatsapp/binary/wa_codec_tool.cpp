// wa-codec-tool: drives the binary node codec (and the wa.proto messages) from JSON lines, for
// the cross-checks in tests/js/wa-codec.test.mjs. One request per stdin line, one response per
// stdout line:
//   {"op":"encode","node":NODE}            -> {"ok":true,"hex":"00f8..."}           (stanza, flags 00)
//   {"op":"decode","hex":"00f8..."}         -> {"ok":true,"node":NODE,"reencoded":"00f8..."}
//   {"op":"proto","type":"Message","hex":H} -> {"ok":true,"json":{...},"hex":H'}      (parse, re-serialize)
//   any failure                             -> {"ok":false,"error":"code","message":"..."}
// NODE = {"tag":S,"attrs":[[K,V],...],"content":null | [NODE,...] | {"hex":H} | {"fill":H,"len":N}}
// ("fill" repeats the bytes H to N bytes, to keep large blobs out of the corpus file).
#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>
#include <iostream>
#include <string>

#include "core/bytes.h"
#include "whatsapp/binary/decoder.h"
#include "whatsapp/binary/encoder.h"
#include "whatsapp/proto/message_util.h"

namespace json = boost::json;
using namespace wadesk;
using namespace wadesk::wa;

namespace {

struct BadRequest {
    std::string message;
};

std::string Str(const json::value& v, const char* what) {
    if (!v.is_string()) throw BadRequest{std::string(what) + " must be a string"};
    return std::string(v.as_string());
}

Bytes HexField(const json::value& v, const char* what) {
    auto b = FromHex(Str(v, what));
    if (!b) throw BadRequest{std::string(what) + " is not hex"};
    return *b;
}

Node NodeFromJson(const json::value& v, int depth = 0) {
    if (depth > 200 || !v.is_object()) throw BadRequest{"node must be an object"};
    const auto& o = v.as_object();
    Node n;
    n.tag = Str(o.contains("tag") ? o.at("tag") : json::value(), "tag");
    if (o.contains("attrs")) {
        if (!o.at("attrs").is_array()) throw BadRequest{"attrs must be an array of pairs"};
        for (const auto& pair : o.at("attrs").as_array()) {
            if (!pair.is_array() || pair.as_array().size() != 2) throw BadRequest{"attr must be [key, value]"};
            n.attrs.Add(Str(pair.as_array()[0], "attr key"), Str(pair.as_array()[1], "attr value"));
        }
    }
    if (o.contains("content") && !o.at("content").is_null()) {
        const auto& c = o.at("content");
        if (c.is_array()) {
            NodeList children;
            for (const auto& child : c.as_array()) children.push_back(NodeFromJson(child, depth + 1));
            n.content = std::move(children);
        } else if (c.is_object() && c.as_object().contains("hex")) {
            n.content = HexField(c.as_object().at("hex"), "content.hex");
        } else if (c.is_object() && c.as_object().contains("fill")) {
            Bytes unit = HexField(c.as_object().at("fill"), "content.fill");
            auto len = c.as_object().at("len").to_number<std::size_t>();
            if (unit.empty() || len > (64u << 20)) throw BadRequest{"bad fill"};
            Bytes b(len);
            for (std::size_t i = 0; i < len; ++i) b[i] = unit[i % unit.size()];
            n.content = std::move(b);
        } else {
            throw BadRequest{"content must be null, an array or {hex}"};
        }
    }
    return n;
}

json::value NodeToJson(const Node& n) {
    json::object o;
    o["tag"] = n.tag;
    json::array attrs;
    for (const auto& a : n.attrs) attrs.push_back(json::array{json::string(a.key), json::string(a.value)});
    o["attrs"] = std::move(attrs);
    if (const auto* children = std::get_if<NodeList>(&n.content)) {
        json::array list;
        for (const auto& c : *children) list.push_back(NodeToJson(c));
        o["content"] = std::move(list);
    } else if (const auto* bytes = n.ContentBytes()) {
        o["content"] = json::object{{"hex", ToHex(*bytes)}};
    } else {
        o["content"] = nullptr;
    }
    return o;
}

json::object Fail(const Error& e) { return json::object{{"ok", false}, {"error", e.code}, {"message", e.message}}; }

template <class M>
json::object ProtoRoundTrip(const Bytes& bytes) {
    auto m = ParseProto<M>(bytes);
    if (!m) return Fail(m.error());
    std::string text;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    auto status = google::protobuf::util::MessageToJsonString(*m, &text, options);
    if (!status.ok()) return Fail(MakeError("json_failed", std::string(status.message())));
    return json::object{{"ok", true}, {"json", json::parse(text)}, {"hex", ToHex(SerializeProto(*m))}};
}

json::object Proto(const std::string& type, const Bytes& bytes) {
    if (type == "Message") return ProtoRoundTrip<Message>(bytes);
    if (type == "HandshakeMessage") return ProtoRoundTrip<HandshakeMessage>(bytes);
    if (type == "CertChain") return ProtoRoundTrip<CertChain>(bytes);
    if (type == "CertChain.NoiseCertificate.Details") return ProtoRoundTrip<CertChain::NoiseCertificate::Details>(bytes);
    if (type == "ClientPayload") return ProtoRoundTrip<ClientPayload>(bytes);
    if (type == "DeviceProps") return ProtoRoundTrip<DeviceProps>(bytes);
    if (type == "ClientPairingProps") return ProtoRoundTrip<ClientPairingProps>(bytes);
    if (type == "ADVDeviceIdentity") return ProtoRoundTrip<ADVDeviceIdentity>(bytes);
    if (type == "ADVSignedDeviceIdentity") return ProtoRoundTrip<ADVSignedDeviceIdentity>(bytes);
    if (type == "ADVSignedDeviceIdentityHMAC") return ProtoRoundTrip<ADVSignedDeviceIdentityHMAC>(bytes);
    if (type == "ADVKeyIndexList") return ProtoRoundTrip<ADVKeyIndexList>(bytes);
    if (type == "ADVSignedKeyIndexList") return ProtoRoundTrip<ADVSignedKeyIndexList>(bytes);
    if (type == "WebMessageInfo") return ProtoRoundTrip<WebMessageInfo>(bytes);
    if (type == "HistorySync") return ProtoRoundTrip<HistorySync>(bytes);
    if (type == "LIDMigrationMappingSyncPayload") return ProtoRoundTrip<LIDMigrationMappingSyncPayload>(bytes);
    throw BadRequest{"unknown proto type " + type};
}

json::object Handle(const json::object& req) {
    std::string op = Str(req.contains("op") ? req.at("op") : json::value(), "op");
    if (op == "encode") {
        auto r = EncodeStanza(NodeFromJson(req.at("node")));
        if (!r) return Fail(r.error());
        return json::object{{"ok", true}, {"hex", ToHex(*r)}};
    }
    if (op == "decode") {
        auto r = DecodeStanza(HexField(req.at("hex"), "hex"));
        if (!r) return Fail(r.error());
        auto again = EncodeStanza(*r);
        if (!again) return Fail(again.error());
        return json::object{{"ok", true}, {"node", NodeToJson(*r)}, {"reencoded", ToHex(*again)}};
    }
    if (op == "proto") return Proto(Str(req.at("type"), "type"), HexField(req.at("hex"), "hex"));
    throw BadRequest{"unknown op " + op};
}

}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        json::object response;
        try {
            json::error_code ec;
            json::parse_options options;
            options.max_depth = 4096;
            auto v = json::parse(line, ec, {}, options);
            if (ec || !v.is_object()) throw BadRequest{"request is not a JSON object"};
            response = Handle(v.as_object());
        } catch (const BadRequest& e) {
            response = Fail(MakeError("bad_request", e.message));
        } catch (const std::exception& e) {
            response = Fail(MakeError("bad_request", e.what()));
        }
        std::cout << json::serialize(response) << '\n' << std::flush;
    }
    return 0;
}
