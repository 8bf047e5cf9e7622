#include "whatsapp/noise/frame.h"

#include <gtest/gtest.h>

namespace wadesk::wa::noise {
namespace {

std::vector<Bytes> Drain(FrameReader& r) {
    std::vector<Bytes> out;
    Bytes f;
    while (r.Next(f)) out.push_back(f);
    return out;
}

TEST(Frame, EncodesLengthAndIntro) {
    EXPECT_EQ(ToHex(EncodeFrame(AsBytes("abc")).value()), "000003616263");
    EXPECT_EQ(ToHex(EncodeFrame(AsBytes("abc"), Intro::kWaHeader).value()), "57410603000003616263");
    EXPECT_EQ(ToHex(EncodeFrame({}).value()), "000000");
    EXPECT_FALSE(EncodeFrame(Bytes(kMaxFramePayload + 1)).has_value());
    EXPECT_TRUE(EncodeFrame(Bytes(kMaxFramePayload)).has_value());
}

TEST(Frame, ReassemblesFromEveryChunking) {
    Bytes stream = EncodeFrame(AsBytes("first"), Intro::kWaHeader).value();
    Append(stream, EncodeFrame(Bytes(300, 7)).value());
    Append(stream, EncodeFrame({}).value());
    Append(stream, EncodeFrame(AsBytes("last")).value());
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        FrameReader reader(Intro::kWaHeader);
        std::vector<Bytes> frames;
        for (std::size_t i = 0; i < stream.size(); i += chunk) {
            const std::size_t n = std::min(chunk, stream.size() - i);
            ASSERT_TRUE(reader.Feed(BytesView(stream.data() + i, n)).has_value());
            for (auto& f : Drain(reader)) frames.push_back(f);
        }
        ASSERT_EQ(frames.size(), 4u) << chunk;
        EXPECT_EQ(ToString(frames[0]), "first");
        EXPECT_EQ(frames[1], Bytes(300, 7));
        EXPECT_TRUE(frames[2].empty());
        EXPECT_EQ(ToString(frames[3]), "last");
    }
}

TEST(Frame, ClientSideNeedsNoIntro) {
    FrameReader reader;
    ASSERT_TRUE(reader.Feed(EncodeFrame(AsBytes("x")).value()).has_value());
    Bytes f;
    ASSERT_TRUE(reader.Next(f));
    EXPECT_EQ(ToString(f), "x");
    EXPECT_FALSE(reader.Next(f));
}

TEST(Frame, SkipsEdgeRoutingPrefix) {
    Bytes stream = {'E', 'D', 0, 1, 0, 0, 3, 0xaa, 0xbb, 0xcc};
    Append(stream, EncodeFrame(AsBytes("hello"), Intro::kWaHeader).value());
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        FrameReader reader(Intro::kWaHeader);
        for (std::size_t i = 0; i < stream.size(); i += chunk) {
            ASSERT_TRUE(reader.Feed(BytesView(stream.data() + i, std::min(chunk, stream.size() - i))).has_value());
        }
        auto frames = Drain(reader);
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_EQ(ToString(frames[0]), "hello");
        EXPECT_EQ(ToHex(reader.RoutingInfo()), "aabbcc");
    }
}

// Found by fuzz/noise_frame_fuzz.cpp: fed in pieces, a reader that had consumed a routing prefix
// took a second "ED" for another prefix, while the same stream fed whole was refused.
TEST(Frame, ASecondRoutingPrefixIsRefusedInEveryChunking) {
    Bytes stream = {'E', 'D', 0x29, 0, 0, 0, 3, 0, 0, 0};
    Append(stream, stream);
    Append(stream, EncodeFrame(AsBytes("hello"), Intro::kWaHeader).value());
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        FrameReader reader(Intro::kWaHeader);
        Result<void> r;
        for (std::size_t i = 0; i < stream.size() && r; i += chunk) {
            r = reader.Feed(BytesView(stream.data() + i, std::min(chunk, stream.size() - i)));
        }
        ASSERT_FALSE(r.has_value()) << chunk;
        EXPECT_EQ(r.error().code, "bad_intro");
        EXPECT_EQ(reader.Pending(), 0u);
    }
}

TEST(Frame, RejectsBadIntroEarlyAndStaysFailed) {
    FrameReader reader(Intro::kWaHeader);
    auto r = reader.Feed(Bytes{0x57, 0x41, 0x05});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "bad_intro");
    EXPECT_FALSE(reader.Feed(Bytes{0x03}).has_value());
    FrameReader http(Intro::kWaHeader);
    EXPECT_FALSE(http.Feed(AsBytes("GET / HTTP/1.1\r\n")).has_value());
}

TEST(Frame, EnforcesSizeCap) {
    FrameReader reader(Intro::kNone, 1024);
    auto r = reader.Feed(Bytes{0x00, 0x04, 0x01});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, "frame_too_large");
    FrameReader ok(Intro::kNone, 1024);
    EXPECT_TRUE(ok.Feed(Bytes{0x00, 0x04, 0x00}).has_value());  // 1024 is allowed, waits for bytes
    EXPECT_EQ(ok.Pending(), 0u);
}

}  // namespace
}  // namespace wadesk::wa::noise
