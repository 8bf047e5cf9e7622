// DownloadMedia against a scripted media host (the fetcher seam): the hosts media_conn names are
// tried in order, network errors move on to the next host, 404/410 mean "expired", 403
// "forbidden", and what a host sends is verified before it is returned.
#include "whatsapp/client/media_download.h"

#include <gtest/gtest.h>

#include <map>

namespace wadesk::wa {
namespace {

struct Fixture {
    Bytes key = RandomBytes(32);
    Bytes plain = RandomBytes(5000);
    crypto::EncryptedMedia enc = crypto::EncryptMedia(key, crypto::MediaKind::kImage, plain).value();
    MediaRef ref{crypto::MediaKind::kImage, "/v/t62.7118-24/abc.enc?oh=1&oe=2", key,
                 Bytes(enc.file_sha256.begin(), enc.file_sha256.end()),
                 Bytes(enc.file_enc_sha256.begin(), enc.file_enc_sha256.end()), 5000};
    MediaConn conn{"auth", std::chrono::seconds(300), {"a.example:1", "b.example:2"}, {}};
};

TEST(MediaDownload, TriesHostsInOrderAndVerifies) {
    Fixture f;
    std::vector<std::string> asked;
    auto fetch = [&](const HttpsRequestSpec& spec) -> Result<HttpsResult> {
        asked.push_back(std::string(spec.host) + std::string(spec.target));
        if (spec.host == "a.example:1") return MakeError("network_error", "refused");
        return HttpsResult{200, f.enc.file};
    };
    auto got = DownloadMedia(f.conn, f.ref, 1 << 20, fetch);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(*got, f.plain);
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_TRUE(asked[0].starts_with("a.example:1/v/t62.7118-24/abc.enc?oh=1&oe=2&hash="));
    EXPECT_NE(asked[1].find("&mms-type=image&__wa-mms="), std::string::npos);
}

TEST(MediaDownload, StatusesAndTampering) {
    Fixture f;
    auto answering = [&](int status, Bytes body = {}) {
        return [=](const HttpsRequestSpec&) -> Result<HttpsResult> { return HttpsResult{status, body}; };
    };
    EXPECT_EQ(DownloadMedia(f.conn, f.ref, 1 << 20, answering(404)).error().code, "expired");
    EXPECT_EQ(DownloadMedia(f.conn, f.ref, 1 << 20, answering(410)).error().code, "expired");
    EXPECT_EQ(DownloadMedia(f.conn, f.ref, 1 << 20, answering(403)).error().code, "forbidden");
    EXPECT_EQ(DownloadMedia(f.conn, f.ref, 1 << 20, answering(500)).error().code, "download_failed");
    Bytes tampered = f.enc.file;
    tampered[10] ^= 0x40;
    EXPECT_EQ(DownloadMedia(f.conn, f.ref, 1 << 20, answering(200, tampered)).error().code, "enc_hash_mismatch");
    MediaRef other_key = f.ref;
    other_key.media_key = RandomBytes(32);
    EXPECT_EQ(DownloadMedia(f.conn, other_key, 1 << 20, answering(200, f.enc.file)).error().code, "mac_mismatch");
}

TEST(MediaDownload, SizeLimitAndMissingReference) {
    Fixture f;
    int calls = 0;
    auto fetch = [&](const HttpsRequestSpec& spec) -> Result<HttpsResult> {
        ++calls;
        EXPECT_EQ(spec.max_body, 4999u + 16 + crypto::kMediaMacSize);
        return MakeError("too_large", "over");
    };
    EXPECT_EQ(DownloadMedia(f.conn, f.ref, 4999, fetch).error().code, "too_large") << "the stated length decides first";
    EXPECT_EQ(calls, 0);
    MediaRef unstated = f.ref;
    unstated.file_length = 0;
    EXPECT_EQ(DownloadMedia(f.conn, unstated, 4999, fetch).error().code, "too_large") << "then what the host sends";
    EXPECT_EQ(calls, 1);
    MediaRef none = f.ref;
    none.direct_path.clear();
    EXPECT_EQ(DownloadMedia(f.conn, none, 1 << 20, fetch).error().code, "no_media");
}

TEST(MediaConnAnswer, ParsesHostsAndRefusesIncompleteAnswers) {
    const auto now = std::chrono::steady_clock::now();
    Node ok("iq", Attrs{{"type", "result"}},
            NodeList{Node("media_conn", Attrs{{"auth", "A+b/c="}, {"ttl", "300"}},
                          NodeList{Node("host", Attrs{{"hostname", "mmg.whatsapp.net"}}),
                                   Node("host", Attrs{{"hostname", "127.0.0.1:8443"}})})});
    auto conn = ParseMediaConn(&ok, now);
    ASSERT_TRUE(conn.has_value());
    EXPECT_EQ(conn->auth, "A+b/c=");
    EXPECT_EQ(conn->hosts, (std::vector<std::string>{"mmg.whatsapp.net", "127.0.0.1:8443"}));
    EXPECT_TRUE(conn->Fresh(now + std::chrono::seconds(299)));
    EXPECT_FALSE(conn->Fresh(now + std::chrono::seconds(300)));
    EXPECT_EQ(ParseMediaConn(nullptr, now).error().code, "media_conn_failed");
    Node error("iq", Attrs{{"type", "error"}});
    EXPECT_FALSE(ParseMediaConn(&error, now).has_value());
    Node no_host("iq", Attrs{{"type", "result"}}, NodeList{Node("media_conn", Attrs{{"auth", "x"}, {"ttl", "1"}})});
    EXPECT_FALSE(ParseMediaConn(&no_host, now).has_value());
    EXPECT_EQ(MediaConnIq().Child("media_conn") != nullptr, true);
    EXPECT_EQ(MediaConnIq().AttrOr("xmlns", ""), "w:m");
}

}  // namespace
}  // namespace wadesk::wa
