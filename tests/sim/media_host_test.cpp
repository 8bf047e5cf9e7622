#include "sim/media_host.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "whatsapp/crypto/primitives.h"

namespace wadesk::sim {
namespace {

std::string Token(BytesView body) {
    const auto d = wa::crypto::Sha256(body);
    return Base64UrlEncode(BytesView(d.data(), 32));
}

std::string Escape(std::string s) {
    std::string out;
    for (char c : s) {
        if (c == '+') out += "%2B";
        else if (c == '/') out += "%2F";
        else if (c == '=') out += "%3D";
        else out += c;
    }
    return out;
}

TEST(MediaHost, UploadThenDownloadWithRanges) {
    MediaHost host;
    host.hostname = "127.0.0.1:9";
    const Bytes body = RandomBytes(1000);
    const std::string auth = host.IssueAuth(100);
    const std::string token = Token(body);
    const std::string target = "/mms/image/" + token + "?auth=" + Escape(auth) + "&token=" + token;

    EXPECT_EQ(host.Handle({"POST", "/mms/image/" + token + "?auth=nope&token=" + token, "", body}, 100).status, 401);
    EXPECT_EQ(host.Handle({"POST", "/mms/bogus/" + token + "?auth=" + Escape(auth), "", body}, 100).status, 400);
    EXPECT_EQ(host.Handle({"POST", "/mms/image/" + Token(AsBytes("x")) + "?auth=" + Escape(auth), "", body}, 100).status,
              400);
    EXPECT_EQ(host.Handle({"POST", target, "", body}, 100 + MediaHost::kAuthTtl + 1).status, 401);

    auto up = host.Handle({"POST", target, "", body}, 100);
    ASSERT_EQ(up.status, 200);
    auto answer = boost::json::parse(AsString(up.body)).as_object();
    const std::string path(answer.at("direct_path").as_string());
    EXPECT_TRUE(path.starts_with("/v/t62.7118-24/"));
    EXPECT_EQ(std::string(answer.at("url").as_string()), "https://127.0.0.1:9" + path + "&mms3=true");

    auto got = host.Handle({"GET", path, "", {}}, 200);
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.body, body);
    auto part = host.Handle({"GET", path, "bytes=10-19", {}}, 200);
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.content_range, "bytes 10-19/1000");
    EXPECT_EQ(part.body, Bytes(body.begin() + 10, body.begin() + 20));
    EXPECT_EQ(host.Handle({"GET", path, "bytes=-5", {}}, 200).body, Bytes(body.end() - 5, body.end()));
    EXPECT_EQ(host.Handle({"GET", path, "bytes=1000-", {}}, 200).status, 416);

    // Unknown path, altered signature, past `oe`, expired on command.
    EXPECT_EQ(host.Handle({"GET", "/v/t62.7118-24/00.enc?oh=a&oe=b", "", {}}, 200).status, 404);
    std::string altered = path;
    altered.replace(altered.find("oh=") + 3, 1, altered[altered.find("oh=") + 3] == 'A' ? "B" : "A");
    EXPECT_EQ(host.Handle({"GET", altered, "", {}}, 200).status, 403);
    EXPECT_EQ(host.Handle({"GET", path, "", {}}, 100 + MediaHost::kFileTtl + 1).status, 410);
    ASSERT_TRUE(host.Expire(path).has_value());
    EXPECT_EQ(host.Handle({"GET", path, "", {}}, 200).status, 410);
    EXPECT_EQ(host.Find(path), nullptr);
    EXPECT_FALSE(host.Expire("/v/none.enc").has_value());
}

// What a media retry request relies on: an expired file is no longer served but its bytes are
// kept (the phones' own copy) until it is expired as lost; 404 can be asked instead of 410.
TEST(MediaHost, ExpiredFilesAreKeptUntilLost) {
    MediaHost host;
    host.hostname = "127.0.0.1:9";
    const Bytes body = RandomBytes(100);
    const std::string path = host.Store("image", body, 100);
    ASSERT_TRUE(host.Expire(path, 404).has_value());
    EXPECT_EQ(host.Handle({"GET", path, "", {}}, 200).status, 404);
    EXPECT_EQ(host.Find(path), nullptr);
    ASSERT_NE(host.Kept(path), nullptr);
    EXPECT_EQ(*host.Kept(path), body);
    // Stored again (the phone's re-upload): a new path that is served.
    const std::string again = host.Store("image", *host.Kept(path), 200);
    EXPECT_NE(again, path);
    EXPECT_EQ(host.Handle({"GET", again, "", {}}, 200).body, body);
    ASSERT_TRUE(host.Expire(path, 410, /*lost=*/true).has_value());
    EXPECT_EQ(host.Handle({"GET", path, "", {}}, 200).status, 410);
    EXPECT_EQ(host.Kept(path), nullptr);
}

}  // namespace
}  // namespace wadesk::sim
