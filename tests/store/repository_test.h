#pragma once
// The one repository suite, instantiated once per backend (sqlite_backend_test.cpp,
// postgres_backend_test.cpp). Each test works in companies it creates, so tests are independent
// even when they share one database.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/repository.h"
#include "store/store_test_support.h"

namespace wadesk::store::testing {

class RepositoryTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override;
    void TearDown() override;

    Company NewCompany(const std::string& name = "Acme");
    WaSession NewSession(const Company& company, const std::string& name = "main");
    Chat NewChat(const WaSession& session, const std::string& jid, const std::string& lid = "");
    Message IncomingMessage(const Chat& chat, const std::string& wa_id, std::int64_t ts, const std::string& body = "hi");

    std::string url_;
    std::unique_ptr<Repository> repo_;
};

}  // namespace wadesk::store::testing
