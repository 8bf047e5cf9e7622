#pragma once
// Files (decrypted media, kept history blobs) by content: the lower-case hex SHA-256 of the bytes
// is the key. One small interface so that the default — a directory under the data directory —
// can later be replaced by a store several nodes share (an object store, a shared volume): a
// caller never names a path, only a hash; Put is idempotent and atomic (a reader sees a whole file
// or none), and nothing is ever modified in place, so any replica that has a hash has the same
// bytes. Thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace wadesk::store {

class BlobStore {
public:
    virtual ~BlobStore() = default;
    // Stores `bytes` and returns their SHA-256 (hex). Storing the same bytes again is a no-op.
    // Error io_error.
    virtual Result<std::string> Put(BytesView bytes) = 0;
    // The size of a stored blob; nullopt when absent (or the hash is malformed).
    virtual std::optional<std::uint64_t> Size(std::string_view sha256) = 0;
    bool Exists(std::string_view sha256) { return Size(sha256).has_value(); }
    // The whole blob. Errors not_found, io_error.
    virtual Result<Bytes> Get(std::string_view sha256) = 0;
    // `length` bytes from `offset` (fewer at the end of the blob). Errors not_found,
    // bad_range (offset beyond the end), io_error.
    virtual Result<Bytes> Range(std::string_view sha256, std::uint64_t offset, std::uint64_t length) = 0;
};

// Blobs as files <root>/<first two hex digits>/<sha256>, written to <root>/tmp and renamed into
// place after an fsync. The directory is created on first use.
std::unique_ptr<BlobStore> MakeDirectoryBlobStore(std::string root);

// True for 64 lower-case hex digits.
bool IsBlobKey(std::string_view sha256);

}  // namespace wadesk::store
