#include "http/router.h"

#include <gtest/gtest.h>

namespace wadesk::http {
namespace {

Handler Named(std::string name) {
    return [name](Request&) {
        Response r;
        r.body = name;
        return r;
    };
}

std::string Invoke(const Router::Match& m) {
    Request req;
    return (*m.handler)(req).body;
}

class RouterTest : public ::testing::Test {
protected:
    void SetUp() override {
        router.Add("GET", "/api/whatsapp/sessions", Named("list"));
        router.Add("POST", "/api/whatsapp/sessions", Named("create"));
        router.Add("GET", "/api/whatsapp/sessions/{sessionId}", Named("get"));
        router.Add("DELETE", "/api/whatsapp/sessions/{sessionId}", Named("delete"));
        router.Add("GET", "/api/whatsapp/sessions/{sessionId}/chats/{chatId}/messages", Named("messages"));
        router.Add("GET", "/api/whatsapp/stats", Named("stats"));
        router.Add("GET", "/api/whatsapp/{x}", Named("param-at-3"));
    }
    Router router;
};

TEST_F(RouterTest, MatchesLiteralAndMethod) {
    auto m = router.Find("GET", "/api/whatsapp/sessions");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(Invoke(m), "list");
    EXPECT_EQ(Invoke(router.Find("POST", "/api/whatsapp/sessions")), "create");
}

TEST_F(RouterTest, ExtractsParameters) {
    auto m = router.Find("GET", "/api/whatsapp/sessions/s1/chats/79001234567@c.us/messages");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.params.at("sessionId"), "s1");
    EXPECT_EQ(m.params.at("chatId"), "79001234567@c.us");
    EXPECT_EQ(m.route, "/api/whatsapp/sessions/{sessionId}/chats/{chatId}/messages");
}

TEST_F(RouterTest, LiteralBeatsParameter) {
    EXPECT_EQ(Invoke(router.Find("GET", "/api/whatsapp/stats")), "stats");
    EXPECT_EQ(Invoke(router.Find("GET", "/api/whatsapp/other")), "param-at-3");
}

TEST_F(RouterTest, WrongMethodIs405WithAllowList) {
    auto m = router.Find("PUT", "/api/whatsapp/sessions/s1");
    ASSERT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "DELETE", "HEAD"}));
    // The most specific template decides: POST on a literal path is 405, not the parameter route.
    EXPECT_EQ(router.Find("POST", "/api/whatsapp/stats").kind, Router::MatchKind::kMethodNotAllowed);
}

TEST_F(RouterTest, HeadFindsTheGetRoute) {
    EXPECT_EQ(Invoke(router.Find("HEAD", "/api/whatsapp/stats")), "stats");
    EXPECT_EQ(Invoke(router.Find("HEAD", "/api/whatsapp/other")), "param-at-3");
    EXPECT_EQ(router.Find("HEAD", "/api/nothing").kind, Router::MatchKind::kNotFound);
}

TEST_F(RouterTest, UnknownPathsAndEmptySegmentsAre404) {
    EXPECT_EQ(router.Find("GET", "/api/nothing").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router.Find("GET", "/api/whatsapp/sessions/").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router.Find("GET", "/api/whatsapp/sessions//chats/x/messages").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router.Find("GET", "/").kind, Router::MatchKind::kNotFound);
}

TEST_F(RouterTest, RouteTableListsEveryRoute) {
    auto routes = router.Routes();
    ASSERT_EQ(routes.size(), 7u);
    EXPECT_EQ(routes[2].method, "GET");
    EXPECT_EQ(routes[2].path, "/api/whatsapp/sessions/{sessionId}");
}

TEST(ParseTarget, DecodesPathAndQuery) {
    std::string path;
    std::map<std::string, std::string> query;
    ASSERT_TRUE(ParseTarget("/a/79001234567%40c.us?search=J%C3%BCrgen+M&page=2&page=3&flag", path, query));
    EXPECT_EQ(path, "/a/79001234567@c.us");
    EXPECT_EQ(query.at("search"), "J\xC3\xBCrgen M");
    EXPECT_EQ(query.at("page"), "2");  // first value wins
    EXPECT_EQ(query.at("flag"), "");
    EXPECT_FALSE(ParseTarget("/a%2", path, query));
    EXPECT_FALSE(ParseTarget("/a?x=%zz", path, query));
    EXPECT_FALSE(ParseTarget("a/b", path, query));
}

}  // namespace
}  // namespace wadesk::http

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>

#include "http/api.h"
#include "http/metrics.h"

namespace wadesk::http {
namespace {

TEST(OpenApi, DocumentsEveryRouteTheServerAnswersAndNothingElse) {
    Metrics metrics;
    Api api(nullptr, nullptr, metrics, {});
    auto doc = boost::json::parse(Api::OpenApiDocument()).as_object();
    const auto& paths = doc.at("paths").as_object();
    std::size_t documented = 0;
    for (const auto& p : paths) documented += p.value().as_object().size();
    auto routes = api.router().Routes();
    EXPECT_EQ(documented, routes.size());
    for (const auto& r : routes) {
        std::string method = r.method;
        std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
        auto it = paths.find(r.path);
        ASSERT_NE(it, paths.end()) << r.path << " is not in openapi.json";
        EXPECT_TRUE(it->value().as_object().contains(method)) << r.method << " " << r.path;
    }
}

}  // namespace
}  // namespace wadesk::http
