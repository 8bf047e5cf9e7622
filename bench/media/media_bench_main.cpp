// wadesk-bench-media: throughput of the client's media download path without the network —
// DownloadMedia (wa-protocol §11: SHA-256 of the encrypted file, HMAC-SHA256 check, AES-256-CBC
// decryption, SHA-256 of the plaintext, length) fed by an in-memory host — against a floor measured
// in the same run on the same core the way `openssl speed -evp` does: OpenSSL's EVP AES-256-CBC
// decryption plus HMAC-SHA256 over the same bytes, nothing else. One thread: MB/s per core.
// Prints one JSON object.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "whatsapp/client/media_download.h"

using namespace wadesk;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Runs `body` until at least `min_s` seconds passed; returns bytes processed per second (MB/s, 10^6).
template <class F>
double Rate(std::size_t bytes_per_call, double min_s, F body) {
    body();  // warm-up
    std::size_t calls = 0;
    const auto start = Clock::now();
    auto now = start;
    while (Seconds(start, now) < min_s) {
        body();
        ++calls;
        now = Clock::now();
    }
    return static_cast<double>(bytes_per_call) * static_cast<double>(calls) / Seconds(start, now) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t mib = 16;
    double seconds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--mib") mib = std::strtoul(argv[i + 1], nullptr, 10);
        if (k == "--seconds") seconds = std::strtod(argv[i + 1], nullptr);
    }
    const Bytes key = RandomBytes(32);
    const Bytes plain = RandomBytes(mib << 20);
    const auto enc = wa::crypto::EncryptMedia(key, wa::crypto::MediaKind::kImage, plain).value();
    const wa::MediaRef ref{wa::crypto::MediaKind::kImage, "/v/t62.7118-24/bench.enc?oh=x&oe=y", key,
                           Bytes(enc.file_sha256.begin(), enc.file_sha256.end()),
                           Bytes(enc.file_enc_sha256.begin(), enc.file_enc_sha256.end()), enc.file_length};
    const wa::MediaConn conn{"auth", std::chrono::seconds(300), {"host:443"}, {}};
    // The host's answer is handed over as a copy, as a response body would be.
    const auto host = [&](const wa::HttpsRequestSpec&) -> Result<wa::HttpsResult> {
        return wa::HttpsResult{200, enc.file};
    };
    bool ok = true;
    const double download = Rate(plain.size(), seconds, [&] {
        auto r = wa::DownloadMedia(conn, ref, plain.size(), host);
        ok = ok && r.has_value() && r->size() == plain.size();
    });

    const auto keys = wa::crypto::ExpandMediaKey(key, wa::crypto::MediaKind::kImage).value();
    const std::size_t ct_size = enc.file.size() - wa::crypto::kMediaMacSize;
    Bytes out(ct_size + 16);
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
    const double floor = Rate(plain.size(), seconds, [&] {
        unsigned char mac[32];
        std::size_t mac_len = 0;
        EVP_MAC_CTX* h = EVP_MAC_CTX_new(hmac);
        EVP_MAC_init(h, keys.mac_key.data(), 32, params);
        EVP_MAC_update(h, keys.iv.data(), 16);
        EVP_MAC_update(h, enc.file.data(), ct_size);
        EVP_MAC_final(h, mac, &mac_len, sizeof mac);
        EVP_MAC_CTX_free(h);
        EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
        int n1 = 0, n2 = 0;
        EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), nullptr, keys.cipher_key.data(), keys.iv.data());
        EVP_DecryptUpdate(c, out.data(), &n1, enc.file.data(), static_cast<int>(ct_size));
        ok = ok && EVP_DecryptFinal_ex(c, out.data() + n1, &n2) == 1;
        EVP_CIPHER_CTX_free(c);
    });
    EVP_MAC_free(hmac);
    const double sha = Rate(plain.size(), seconds, [&] { (void)wa::crypto::Sha256(plain); });
    std::printf("{\"ok\":%s,\"file_mib\":%zu,\"seconds_per_run\":%.1f,\"download_mb_s\":%.1f,"
                "\"floor_aes_cbc_hmac_mb_s\":%.1f,\"sha256_mb_s\":%.1f,\"openssl\":\"%s\"}\n",
                ok ? "true" : "false", mib, seconds, download, floor, sha, OpenSSL_version(OPENSSL_VERSION));
    return ok ? 0 : 1;
}
