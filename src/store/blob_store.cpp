#include "store/blob_store.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace wadesk::store {
namespace fs = std::filesystem;

bool IsBlobKey(std::string_view sha256) {
    if (sha256.size() != 64) return false;
    for (char c : sha256) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

namespace {

Error IoError(const std::string& what) { return MakeError("io_error", what + ": " + std::strerror(errno)); }

class DirectoryBlobStore final : public BlobStore {
public:
    explicit DirectoryBlobStore(std::string root) : root_(std::move(root)) {}

    Result<std::string> Put(BytesView bytes) override {
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256(bytes.data(), bytes.size(), digest);
        const std::string key = ToHex(BytesView(digest, sizeof digest));
        const fs::path final_path = PathOf(key);
        std::error_code ec;
        if (fs::exists(final_path, ec)) return Result<std::string>(boost::system::in_place_value, key);
        fs::create_directories(final_path.parent_path(), ec);
        fs::create_directories(fs::path(root_) / "tmp", ec);
        const fs::path tmp = fs::path(root_) / "tmp" / (key + "." + ToHex(RandomBytes(8)));
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) return IoError("blob store: create " + tmp.string());
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                auto e = IoError("blob store: write");
                ::close(fd);
                ::unlink(tmp.c_str());
                return e;
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(fd) != 0 || ::close(fd) != 0) {
            auto e = IoError("blob store: fsync");
            ::unlink(tmp.c_str());
            return e;
        }
        if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
            auto e = IoError("blob store: rename");
            ::unlink(tmp.c_str());
            return e;
        }
        return Result<std::string>(boost::system::in_place_value, key);
    }

    std::optional<std::uint64_t> Size(std::string_view sha256) override {
        if (!IsBlobKey(sha256)) return std::nullopt;
        struct stat st {};
        if (::stat(PathOf(sha256).c_str(), &st) != 0) return std::nullopt;
        return static_cast<std::uint64_t>(st.st_size);
    }

    Result<Bytes> Get(std::string_view sha256) override {
        auto size = Size(sha256);
        if (!size) return MakeError("not_found", "no such blob");
        return Range(sha256, 0, *size);
    }

    Result<Bytes> Range(std::string_view sha256, std::uint64_t offset, std::uint64_t length) override {
        if (!IsBlobKey(sha256)) return MakeError("not_found", "no such blob");
        const int fd = ::open(PathOf(sha256).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) return MakeError("not_found", "no such blob");
            return IoError("blob store: open");
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            auto e = IoError("blob store: stat");
            ::close(fd);
            return e;
        }
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (offset > size || (offset == size && length > 0 && size > 0)) {
            ::close(fd);
            return MakeError("bad_range", "offset beyond the end of the blob");
        }
        Bytes out(static_cast<std::size_t>(std::min(length, size - offset)));
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                auto e = IoError("blob store: read");
                ::close(fd);
                return e;
            }
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
        return out;
    }

private:
    fs::path PathOf(std::string_view key) const {
        return fs::path(root_) / std::string(key.substr(0, 2)) / std::string(key);
    }
    std::string root_;
};

}  // namespace

std::unique_ptr<BlobStore> MakeDirectoryBlobStore(std::string root) {
    return std::make_unique<DirectoryBlobStore>(std::move(root));
}

}  // namespace wadesk::store
