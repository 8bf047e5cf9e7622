#include "store/blob_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

namespace wadesk::store {
namespace {

class BlobStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path() / ("wadesk-blobs-" + ToHex(RandomBytes(6)));
        store_ = MakeDirectoryBlobStore(root_.string());
    }
    void TearDown() override { std::filesystem::remove_all(root_); }
    std::filesystem::path root_;
    std::unique_ptr<BlobStore> store_;
};

TEST_F(BlobStoreTest, PutIsKeyedBySha256AndIdempotent) {
    auto key = store_->Put(AsBytes("abc"));
    ASSERT_TRUE(key.has_value());
    // sha256("abc"), FIPS 180-2.
    EXPECT_EQ(*key, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_TRUE(std::filesystem::exists(root_ / "ba" / *key));
    EXPECT_EQ(*store_->Put(AsBytes("abc")), *key);
    EXPECT_TRUE(store_->Exists(*key));
    EXPECT_EQ(store_->Size(*key), 3u);
    EXPECT_EQ(AsString(*store_->Get(*key)), "abc");
    EXPECT_TRUE(std::filesystem::is_empty(root_ / "tmp")) << "no temporary file is left behind";
}

TEST_F(BlobStoreTest, RangesAndMissingBlobs) {
    Bytes data(100000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 13);
    const std::string key = *store_->Put(data);
    EXPECT_EQ(*store_->Range(key, 10, 5), Bytes(data.begin() + 10, data.begin() + 15));
    EXPECT_EQ(*store_->Range(key, 99990, 100), Bytes(data.end() - 10, data.end())) << "cut at the end";
    EXPECT_EQ(store_->Range(key, 100001, 1).error().code, "bad_range");
    EXPECT_EQ(store_->Get(std::string(64, '0')).error().code, "not_found");
    EXPECT_FALSE(store_->Exists("../../etc/passwd")) << "only hashes name blobs";
    EXPECT_EQ(store_->Get("ABC").error().code, "not_found");
    EXPECT_EQ(*store_->Put({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(store_->Size("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 0u);
}

TEST_F(BlobStoreTest, ConcurrentPutsOfOneBlobAgree) {
    const Bytes data = RandomBytes(1 << 16);
    std::vector<std::thread> threads;
    std::vector<std::string> keys(8);
    for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { keys[i] = store_->Put(data).value(); });
    for (auto& t : threads) t.join();
    for (const auto& k : keys) EXPECT_EQ(k, keys[0]);
    EXPECT_EQ(*store_->Get(keys[0]), data);
}

}  // namespace
}  // namespace wadesk::store
