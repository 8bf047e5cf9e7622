#include "http/json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace wadesk::http {
namespace {

Request WithBody(std::string body) {
    Request r;
    r.body = std::move(body);
    return r;
}

template <class F>
std::string ErrorCode(F f) {
    try {
        f();
    } catch (const HttpError& e) {
        EXPECT_EQ(e.status(), 400);
        return e.code();
    }
    return "no error";
}

TEST(Utf8, AcceptsValidText) {
    EXPECT_TRUE(IsValidUtf8(""));
    EXPECT_TRUE(IsValidUtf8("plain ascii"));
    EXPECT_TRUE(IsValidUtf8("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"));  // Привет
    EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));                                  // U+1F600
    EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                                  // U+10FFFF
}

TEST(Utf8, RejectsMalformedText) {
    EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
    EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
    EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
    EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(IsValidUtf8("\xFF"));
    EXPECT_FALSE(IsValidUtf8("a\x80z"));            // stray continuation
}

TEST(JsonBody, ParsesObjects) {
    auto o = ParseJsonObject(WithBody(R"({"email":"a@b.c","n":1})"));
    EXPECT_EQ(RequiredString(o, "email"), "a@b.c");
}

TEST(JsonBody, RejectsBadBodies) {
    EXPECT_EQ(ErrorCode([] { ParseJsonObject(WithBody("")); }), "invalid_json");
    EXPECT_EQ(ErrorCode([] { ParseJsonObject(WithBody("{")); }), "invalid_json");
    EXPECT_EQ(ErrorCode([] { ParseJsonObject(WithBody("[1,2]")); }), "invalid_json");
    EXPECT_EQ(ErrorCode([] { ParseJsonObject(WithBody("\"str\"")); }), "invalid_json");
    EXPECT_EQ(ErrorCode([] { ParseJsonObject(WithBody("{\"m\":\"\xC3\x28\"}")); }), "invalid_json");
    EXPECT_EQ(ErrorCode([] { ParseJsonObject(WithBody("{\"a\":1} trailing")); }), "invalid_json");
    std::string deep(100, '[');
    EXPECT_EQ(ErrorCode([&] { ParseJsonObject(WithBody("{\"a\":" + deep + "}")); }), "invalid_json");
}

TEST(JsonBody, TypedFieldsNameTheField) {
    auto o = boost::json::parse(R"({"s":1,"b":"yes","n":null})").as_object();
    try {
        RequiredString(o, "s");
        FAIL();
    } catch (const HttpError& e) {
        EXPECT_EQ(e.code(), "invalid_field");
        EXPECT_NE(std::string(e.what()).find("'s'"), std::string::npos);
    }
    EXPECT_EQ(ErrorCode([&] { RequiredString(o, "missing"); }), "missing_field");
    EXPECT_EQ(ErrorCode([&] { RequiredString(o, "n"); }), "missing_field");
    EXPECT_EQ(ErrorCode([&] { OptionalBool(o, "b"); }), "invalid_field");
    EXPECT_EQ(OptionalStringOrNull(o, "n"), std::string());
    EXPECT_FALSE(OptionalString(o, "absent"));
}

TEST(Query, IntegersAreStrict) {
    Request r;
    r.query = {{"limit", "200"}, {"big", "201"}, {"zero", "0"}, {"neg", "-1"}, {"text", "ten"}, {"mixed", "5x"},
               {"huge", "99999999999999999999"}};
    EXPECT_EQ(QueryInt(r, "limit", 50, 1, 200), 200);
    EXPECT_EQ(QueryInt(r, "absent", 50, 1, 200), 50);
    for (const char* name : {"big", "zero", "neg", "text", "mixed", "huge"})
        EXPECT_EQ(ErrorCode([&] { QueryInt(r, name, 50, 1, 200); }), "invalid_query") << name;
}

TEST(Query, Booleans) {
    Request r;
    r.query = {{"a", "true"}, {"b", "0"}, {"c", "maybe"}};
    EXPECT_EQ(QueryBool(r, "a"), true);
    EXPECT_EQ(QueryBool(r, "b"), false);
    EXPECT_FALSE(QueryBool(r, "absent"));
    EXPECT_EQ(ErrorCode([&] { QueryBool(r, "c"); }), "invalid_query");
}

TEST(Envelope, SuccessAndErrorShapes) {
    auto ok = boost::json::parse(Ok(boost::json::object{{"x", 1}}).body).as_object();
    EXPECT_EQ(ok.at("success").as_bool(), true);
    EXPECT_EQ(ok.at("data").at("x").as_int64(), 1);
    Response e = ErrorResponse(404, "not_found", "session not found");
    EXPECT_EQ(e.status, 404);
    auto err = boost::json::parse(e.body).as_object();
    EXPECT_EQ(err.at("success").as_bool(), false);
    EXPECT_EQ(err.at("error").at("code").as_string(), "not_found");
    EXPECT_EQ(err.at("error").at("message").as_string(), "session not found");
}

}  // namespace
}  // namespace wadesk::http
