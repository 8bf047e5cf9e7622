#include "whatsapp/client/tls.h"

#include <boost/asio/ssl/context.hpp>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <mutex>

namespace wadesk::wa {
namespace ssl = boost::asio::ssl;

namespace {

std::mutex& TrustMutex() {
    static std::mutex m;
    return m;
}
std::string& ExtraCaFile() {
    static std::string file;
    return file;
}

}  // namespace

Result<void> TrustExtraCaFile(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return MakeError("bad_ca_file", "cannot read the CA file " + path);
    int certs = 0;
    while (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
        ++certs;
        X509_free(cert);
    }
    std::fclose(f);
    if (certs == 0) return MakeError("bad_ca_file", "no PEM certificate in " + path);
    std::lock_guard lock(TrustMutex());
    ExtraCaFile() = path;
    return {};
}

ssl::context& WaTlsContext() {
    static ssl::context* const context = [] {
        auto* c = new ssl::context(ssl::context::tls_client);
        c->set_default_verify_paths();
        std::lock_guard lock(TrustMutex());
        if (!ExtraCaFile().empty()) {
            boost::system::error_code ec;
            c->load_verify_file(ExtraCaFile(), ec);  // checked readable by TrustExtraCaFile
        }
        c->set_verify_mode(ssl::verify_peer);
        return c;
    }();
    return *context;
}

}  // namespace wadesk::wa
