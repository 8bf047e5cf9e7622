#include "service/wadesk_service.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <functional>
#include <cstring>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "auth/password.h"
#include "core/clock.h"
#include "core/ids.h"
#include "store/repository.h"

namespace wadesk::service {
namespace {

namespace fs = std::filesystem;

// An engine that records what the service asked of it; the test plays the WhatsApp side by
// calling the service's EngineEvents, exactly as a real engine would.
class RecordingEngine : public Engine {
public:
    void SetEvents(EngineEvents* events) override { events_ = events; }
    void Start(const domain::WaSession& s) override { started.push_back(s.id); }
    void Stop(const std::string&) override {}
    void Logout(const std::string& id) override { logged_out.push_back(id); }
    Result<std::string> RequestPairingCode(const std::string&, const std::string&) override {
        return Result<std::string>(boost::system::in_place_value, "ABCD1234");
    }
    void Send(const OutgoingMessage& m) override { sent.push_back(m); }
    void MarkRead(const std::string&, const std::string& jid, const std::string& sender,
                  const std::vector<std::string>& ids) override {
        read.push_back(jid);
        read_senders.push_back(sender);
        read_ids.push_back(ids);
    }
    EngineEvents* events_ = nullptr;
    std::vector<std::string> started, logged_out, read, read_senders;
    std::vector<std::vector<std::string>> read_ids;
    std::vector<OutgoingMessage> sent;
};

class WadeskServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir = fs::temp_directory_path() / ("wadesk-service-test-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        repo = store::OpenRepository("sqlite://" + (dir / "t.db").string(), true);
        auth::AuthConfig config;
        config.jwt_secret = RandomBytes(32);
        authenticator = std::move(*auth::TokenAuthenticator::Create(std::move(config)));
        svc = std::make_unique<WadeskService>(*repo, bus, access, *authenticator, engine);
        engine.SetEvents(&svc->inbound());
        svc->operators().LoadViews();
        subscription = bus.Subscribe([this](const domain::Event& e) { events.push_back(e); });

        auto [company, admin_user] =
            svc->operators().CreateCompany("Acme", NewUser{"admin@acme.test", "admin-password", "A"});
        admin = Actor{auth::Principal{admin_user.id, company.id, domain::Role::kAdmin, admin_user.email}, "10.0.0.1"};
        auto [other_company, other_user] =
            svc->operators().CreateCompany("Other", NewUser{"admin@other.test", "admin-password", ""});
        other = Actor{auth::Principal{other_user.id, other_company.id, domain::Role::kAdmin, ""}, "10.0.0.2"};
        auto m = svc->managers().CreateManager(admin, NewUser{"m@acme.test", "manager-password", "M"});
        manager = Actor{auth::Principal{m.id, m.company_id, domain::Role::kManager, m.email}, "10.0.0.3"};
        session = svc->sessions().CreateSession(admin, "Main");
    }
    void TearDown() override {
        subscription = {};
        svc.reset();
        repo.reset();
        fs::remove_all(dir);
    }
    void Connect() { engine.events_->OnReady(session.id, "79000000000", "Shop", "79000000000@s.whatsapp.net"); }
    std::vector<std::string> EventNames() const {
        std::vector<std::string> out;
        for (const auto& e : events) out.push_back(e.name);
        return out;
    }
    template <class F>
    FailureKind KindOf(F f) {
        try {
            f();
        } catch (const ServiceError& e) {
            return e.kind();
        }
        ADD_FAILURE() << "no ServiceError";
        return FailureKind::kBadInput;
    }

    fs::path dir;
    std::unique_ptr<store::Repository> repo;
    EventBus bus;
    MemoryAccessView access;
    std::unique_ptr<auth::TokenAuthenticator> authenticator;
    RecordingEngine engine;
    std::unique_ptr<WadeskService> svc;
    EventBus::Subscription subscription;
    std::vector<domain::Event> events;
    Actor admin, other, manager;
    domain::WaSession session;
};

TEST_F(WadeskServiceTest, NewSessionStartsTheEngineAndStaysInitializing) {
    EXPECT_EQ(session.status, domain::SessionStatus::kInitializing);
    EXPECT_EQ(engine.started, std::vector<std::string>{session.id});
    EXPECT_EQ(svc->sessions().GetQr(admin, session.id).qr_text, "");
    EXPECT_EQ(KindOf([&] {
                  svc->messages().Send(admin, session.id, "79001234567", {"hi", "", ""});
              }),
              FailureKind::kUnavailable);
    EXPECT_TRUE(engine.sent.empty());
}

// A crash while a linked session was starting again leaves it "initializing": the next start
// must resume it all the same; a session that was never linked is not dialled at boot.
TEST_F(WadeskServiceTest, ResumesLinkedSessionsACrashLeftInitializing) {
    Connect();
    auto unlinked = svc->sessions().CreateSession(admin, "not linked yet");
    engine.events_->OnStatus(session.id, domain::SessionStatus::kInitializing, "");
    ASSERT_EQ(repo->FindSessionById(session.id)->status, domain::SessionStatus::kInitializing);
    engine.started.clear();
    svc->sessions().ResumeSessions();
    EXPECT_EQ(engine.started, std::vector<std::string>{session.id});
    (void)unlinked;
}

// After a restart a session stored "connected" is not connected yet: until the engine reports,
// REST (and /metrics) read "initializing", so nobody acts on a connection that does not exist.
TEST_F(WadeskServiceTest, AResumedSessionReadsInitializingUntilTheEngineReports) {
    Connect();
    ASSERT_EQ(repo->FindSessionById(session.id)->status, domain::SessionStatus::kConnected);
    engine.started.clear();
    svc->sessions().ResumeSessions();
    EXPECT_EQ(engine.started, std::vector<std::string>{session.id});
    EXPECT_EQ(svc->sessions().GetSession(admin, session.id).status, domain::SessionStatus::kInitializing);
    EXPECT_EQ(svc->sessions().SessionsByStatus()["connected"], 0);
    EXPECT_EQ(svc->sessions().SessionsByStatus()["initializing"], 1);
    Connect();
    EXPECT_EQ(svc->sessions().GetSession(admin, session.id).status, domain::SessionStatus::kConnected);
}

TEST_F(WadeskServiceTest, QrAndReadyFromTheEngineReachStoreEventsAndRest) {
    engine.events_->OnQr(session.id, "2@ref,key", "data:image/png;base64,AAAA", NowMs() + 20000);
    auto qr = svc->sessions().GetQr(admin, session.id);
    EXPECT_EQ(qr.status, domain::SessionStatus::kQr);
    EXPECT_EQ(qr.png_data_url, "data:image/png;base64,AAAA");
    Connect();
    auto s = svc->sessions().GetSession(admin, session.id);
    EXPECT_EQ(s.status, domain::SessionStatus::kConnected);
    EXPECT_EQ(s.phone_number, "79000000000");
    EXPECT_EQ(svc->sessions().GetQr(admin, session.id).qr_text, "");  // no QR once linked
    auto names = EventNames();
    EXPECT_NE(std::find(names.begin(), names.end(), "whatsapp:qr"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "whatsapp:ready"), names.end());
}

TEST_F(WadeskServiceTest, SendStoresPendingOnceAndHandsItToTheEngine) {
    Connect();
    auto first = svc->messages().Send(admin, session.id, "+79001234567", {"Hello", "", "key-1"});
    EXPECT_TRUE(first.created);
    EXPECT_EQ(first.message.status, domain::MessageStatus::kPending);
    EXPECT_EQ(first.message.sent_by, admin.who.user_id);
    ASSERT_EQ(engine.sent.size(), 1u);
    EXPECT_EQ(engine.sent[0].chat_jid, "79001234567@s.whatsapp.net");
    // The same key again: the first result, nothing sent twice, even through another chat form.
    auto again = svc->messages().Send(admin, session.id, "79001234567@c.us", {"Hello", "", "key-1"});
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.message.id, first.message.id);
    EXPECT_EQ(engine.sent.size(), 1u);
    auto page = svc->chats().ListMessages(admin, session.id, first.message.chat_id, 1, 50, "");
    EXPECT_EQ(page.total, 1);
    // The engine reports progress through the real callbacks.
    engine.events_->OnMessageSent(session.id, first.message.id, "WAID1");
    engine.events_->OnMessageStatus(session.id, "WAID1", domain::MessageStatus::kRead);
    EXPECT_EQ(repo->FindMessage(admin.who.company_id, session.id, first.message.id)->status, domain::MessageStatus::kRead);
}

// What a receive commits is one transaction: the engine's writes (here a credential) roll back
// with the message when the transaction fails.
TEST_F(WadeskServiceTest, IncomingMessageAndTheEnginesWritesCommitTogether) {
    Connect();
    IncomingMessage in;
    in.chat_jid = "79005556600@s.whatsapp.net";
    in.wa_message_id = "ATOM1";
    in.sender_jid = in.chat_jid;
    in.body = "atomic";
    events.clear();
    EXPECT_THROW(engine.events_->OnIncomingMessage(session.id, in,
                                                   [&](store::Transaction& tx) {
                                                       tx.PutCredential(session.id, "inbox/x", "plain");
                                                       throw std::runtime_error("disk full");
                                                   }),
                 std::runtime_error);
    EXPECT_FALSE(repo->FindMessageByWaId(session.id, "ATOM1"));
    EXPECT_FALSE(repo->GetCredential(session.id, "inbox/x"));
    EXPECT_TRUE(events.empty()) << "nothing is published for what was not committed";
    EXPECT_TRUE(engine.events_->OnIncomingMessage(
        session.id, in, [&](store::Transaction& tx) { tx.PutCredential(session.id, "inbox/x", "plain"); }));
    EXPECT_TRUE(repo->FindMessageByWaId(session.id, "ATOM1"));
    EXPECT_EQ(*repo->GetCredential(session.id, "inbox/x"), "plain");
    // Each published event is already in the durable log, for replay.
    auto logged = repo->ListEvents(admin.who.company_id, 0, 100);
    for (const auto& e : events) {
        EXPECT_TRUE(std::any_of(logged.begin(), logged.end(), [&](const domain::Event& l) { return l.id == e.id; }));
    }
    EXPECT_EQ(EventNames(), (std::vector<std::string>{"whatsapp:message", "whatsapp:chat_updated"}));
}

TEST_F(WadeskServiceTest, AnUndecryptableMessageIsShownThenHealedByTheResend) {
    Connect();
    IncomingMessage in;
    in.kind = IncomingKind::kUndecryptable;
    in.failure = "signal_invalid_mac";
    in.chat_jid = "79005556611@s.whatsapp.net";
    in.wa_message_id = "HEAL1";
    in.sender_jid = in.chat_jid;
    events.clear();
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));
    auto stored = repo->FindMessageByWaId(session.id, "HEAL1");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->type, domain::MessageType::kUndecryptable);
    EXPECT_EQ(EventNames(), (std::vector<std::string>{"whatsapp:message", "whatsapp:chat_updated"}));
    // A second failed attempt adds nothing.
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));
    EXPECT_EQ(events.size(), 2u);
    in.kind = IncomingKind::kContent;
    in.type = domain::MessageType::kText;
    in.body = "here it is";
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));
    auto healed = repo->FindMessageByWaId(session.id, "HEAL1");
    ASSERT_TRUE(healed);
    EXPECT_EQ(healed->id, stored->id);
    EXPECT_EQ(healed->type, domain::MessageType::kText);
    EXPECT_EQ(healed->body, "here it is");
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[2].name, "whatsapp:message_updated");
    EXPECT_EQ(events[3].name, "whatsapp:chat_updated") << "the chat's preview shows the healed text";
    EXPECT_EQ(svc->chats().ListMessages(admin, session.id, "79005556611", 1, 50, "").total, 1);
}

TEST_F(WadeskServiceTest, RevokeAndEditChangeTheSendersMessageOnly) {
    Connect();
    IncomingMessage in;
    in.chat_jid = "79005556622@s.whatsapp.net";
    in.wa_message_id = "ORIG1";
    in.sender_jid = in.chat_jid;
    in.sender_phone = "79005556622";
    in.body = "teh price is 10";
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));
    events.clear();

    IncomingMessage edit = in;
    edit.kind = IncomingKind::kEdit;
    edit.wa_message_id = "EDIT1";
    edit.target_wa_message_id = "ORIG1";
    edit.body = "the price is 10";
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, edit, nullptr));
    auto m = repo->FindMessageByWaId(session.id, "ORIG1");
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->edited);
    EXPECT_EQ(m->body, "the price is 10");
    EXPECT_FALSE(repo->FindMessageByWaId(session.id, "EDIT1")) << "an edit is no message of its own";
    ASSERT_EQ(EventNames(), (std::vector<std::string>{"whatsapp:message_updated", "whatsapp:chat_updated"}));
    auto payload = boost::json::parse(events[0].payload_json).as_object();
    EXPECT_EQ(payload["message"].as_object()["body"].as_string(), "the price is 10");
    EXPECT_EQ(payload["message"].as_object()["edited"].as_bool(), true);

    // Somebody else cannot revoke it; our own devices cannot revoke a contact's message either.
    IncomingMessage forged = edit;
    forged.kind = IncomingKind::kRevoke;
    forged.sender_jid = "79009999999@s.whatsapp.net";
    forged.sender_phone = "79009999999";
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, forged, nullptr));
    forged = edit;
    forged.kind = IncomingKind::kRevoke;
    forged.from_me = true;
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, forged, nullptr));
    EXPECT_FALSE(repo->FindMessageByWaId(session.id, "ORIG1")->deleted);

    IncomingMessage revoke = edit;
    revoke.kind = IncomingKind::kRevoke;
    revoke.wa_message_id = "REV1";
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, revoke, nullptr));
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, revoke, nullptr));  // redelivered: no second event
    m = repo->FindMessageByWaId(session.id, "ORIG1");
    EXPECT_TRUE(m->deleted);
    EXPECT_EQ(m->body, "");
    EXPECT_EQ(EventNames(), (std::vector<std::string>{"whatsapp:message_updated", "whatsapp:chat_updated",
                                                      "whatsapp:message_updated", "whatsapp:chat_updated"}));
    auto chat = boost::json::parse(events[3].payload_json).as_object()["chat"].as_object();
    EXPECT_EQ(chat["lastMessage"].as_string(), "This message was deleted");
}

TEST_F(WadeskServiceTest, IncomingMessagesAreCommittedOnceAndCounted) {
    Connect();
    IncomingMessage in;
    in.chat_jid = "79005556677@s.whatsapp.net";
    in.wa_message_id = "IN1";
    in.sender_jid = in.chat_jid;
    in.body = "Hi there";
    in.timestamp_ms = NowMs();
    EXPECT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));
    EXPECT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));  // redelivery
    auto chats = svc->chats().ListChats(admin, session.id, ChatFilter{});
    ASSERT_EQ(chats.total, 1);
    EXPECT_EQ(chats.items[0].unread_count, 1);
    EXPECT_EQ(svc->chats().ListMessages(admin, session.id, "79005556677", 1, 50, "").total, 1);
    auto read = svc->chats().MarkRead(admin, session.id, "79005556677@c.us");
    EXPECT_EQ(read.unread_count, 0);
    EXPECT_EQ(engine.read, std::vector<std::string>{"79005556677@s.whatsapp.net"});
}

TEST_F(WadeskServiceTest, PhoneNumberAndLidOfOneContactAreOneChatWithBothIdentities) {
    Connect();
    // First seen by LID only (the pair is not known yet), then by phone number with the LID
    // alias, then by LID with both: one chat, PN canonical, senders with phone and LID.
    IncomingMessage by_lid;
    by_lid.chat_jid = "100000000000077@lid";
    by_lid.wa_message_id = "L1";
    by_lid.sender_jid = "100000000000077@lid";
    by_lid.sender_lid = "100000000000077@lid";
    by_lid.body = "first";
    by_lid.timestamp_ms = 1000;
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, by_lid, nullptr));
    IncomingMessage by_pn;
    by_pn.chat_jid = "79005556677@s.whatsapp.net";
    by_pn.chat_lid = "100000000000077@lid";
    by_pn.wa_message_id = "P1";
    by_pn.sender_jid = "79005556677@s.whatsapp.net";
    by_pn.sender_phone = "79005556677";
    by_pn.sender_lid = "100000000000077@lid";
    by_pn.body = "second";
    by_pn.timestamp_ms = 2000;
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, by_pn, nullptr));
    IncomingMessage again = by_pn;
    again.wa_message_id = "L2";
    again.body = "third";
    again.timestamp_ms = 3000;
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, again, nullptr));

    auto chats = svc->chats().ListChats(admin, session.id, ChatFilter{});
    ASSERT_EQ(chats.total, 1);
    EXPECT_EQ(chats.items[0].jid, "79005556677@s.whatsapp.net");
    EXPECT_EQ(chats.items[0].lid, "100000000000077@lid");
    EXPECT_EQ(svc->chats().ListMessages(admin, session.id, "100000000000077@lid", 1, 50, "").total, 3);
    auto page = svc->chats().ListMessages(admin, session.id, "79005556677", 1, 50, "");
    ASSERT_EQ(page.total, 3);
    EXPECT_EQ(page.items[0].sender_phone, "79005556677");
    EXPECT_EQ(page.items[0].sender_lid, "100000000000077@lid");

    // The events carry the same views: the chat's phone and LID, the sender's phone and LID.
    const domain::Event* last_message = nullptr;
    const domain::Event* last_chat = nullptr;
    for (const auto& e : events) {
        if (e.name == "whatsapp:message") last_message = &e;
        if (e.name == "whatsapp:chat_updated") last_chat = &e;
    }
    ASSERT_TRUE(last_message && last_chat);
    auto message = boost::json::parse(last_message->payload_json).as_object();
    EXPECT_EQ(message.at("message").at("sender").at("phone"), "79005556677");
    EXPECT_EQ(message.at("message").at("sender").at("lid"), "100000000000077@lid");
    auto chat = boost::json::parse(last_chat->payload_json).as_object();
    EXPECT_EQ(chat.at("chat").at("phone"), "79005556677");
    EXPECT_EQ(chat.at("chat").at("lid"), "100000000000077@lid");
}

TEST_F(WadeskServiceTest, ManagerRightsFollowGrantsAtOnce) {
    Connect();
    EXPECT_TRUE(svc->sessions().ListSessions(manager).empty());
    EXPECT_EQ(KindOf([&] { svc->sessions().GetSession(manager, session.id); }), FailureKind::kNotFound);
    svc->access().Grant(admin, session.id, GrantRequest{manager.who.user_id, true, false, false});
    EXPECT_EQ(svc->sessions().ListSessions(manager).size(), 1u);
    EXPECT_EQ(KindOf([&] {
                  svc->messages().Send(manager, session.id, "79001234567", {"x", "", ""});
              }),
              FailureKind::kForbidden);
    svc->access().Grant(admin, session.id, GrantRequest{manager.who.user_id, true, true, false});
    EXPECT_TRUE(svc->messages().Send(manager, session.id, "79001234567", {"x", "", ""}).created);
    EXPECT_EQ(
        KindOf([&] { svc->chats().UpdateChat(manager, session.id, "79001234567", store::ChatPatch{.pinned = true}); }),
        FailureKind::kForbidden);
    EXPECT_EQ(KindOf([&] { svc->sessions().GetQr(manager, session.id); }), FailureKind::kForbidden);
    // Managers replaying events see only sessions they can read, never QR events.
    engine.events_->OnQr(session.id, "q", "data:image/png;base64,", NowMs() + 1000);
    for (const auto& e : svc->reports().Events(manager, 0, 200).items) EXPECT_NE(e.name, "whatsapp:qr");
    svc->access().Revoke(admin, session.id, manager.who.user_id);
    EXPECT_EQ(KindOf([&] { svc->chats().ListChats(manager, session.id, ChatFilter{}); }), FailureKind::kNotFound);
    EXPECT_TRUE(svc->reports().Events(manager, 0, 200).items.empty());
}

TEST_F(WadeskServiceTest, NothingCrossesCompanies) {
    EXPECT_EQ(KindOf([&] { svc->sessions().GetSession(other, session.id); }), FailureKind::kNotFound);
    EXPECT_EQ(KindOf([&] { svc->sessions().DeleteSession(other, session.id, true); }), FailureKind::kNotFound);
    EXPECT_EQ(KindOf([&] { svc->access().Grant(other, session.id, GrantRequest{manager.who.user_id}); }),
              FailureKind::kNotFound);
    EXPECT_EQ(
        KindOf([&] { svc->managers().UpdateManager(other, manager.who.user_id, ManagerPatch{.disabled = true}); }),
        FailureKind::kNotFound);
    EXPECT_TRUE(svc->sessions().ListSessions(other).empty());
    EXPECT_TRUE(svc->reports().Events(other, 0, 200).items.empty());
    EXPECT_EQ(svc->reports().Audit(other, 1, 50).items.size(), 1u);  // its own company.create only
}

std::string CodeOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const ServiceError& e) {
        return std::string(e.api_code());
    }
    return "";
}

TEST_F(WadeskServiceTest, DisablingAManagerRejectsItsTokenAtOnce) {
    auto user = *repo->FindUser(manager.who.company_id, manager.who.user_id);
    std::string token = authenticator->Issue(user).token;
    ASSERT_TRUE(authenticator->Authenticate(token));
    svc->managers().UpdateManager(admin, user.id, ManagerPatch{.disabled = true});
    EXPECT_EQ(authenticator->Authenticate(token).error().code, "user_disabled");
    // Refused before any password check: the same answer for the right and a wrong password.
    EXPECT_EQ(KindOf([&] { svc->auth().Login("m@acme.test", "manager-password", "1.2.3.4"); }),
              FailureKind::kUnauthenticated);
    EXPECT_EQ(CodeOf([&] { svc->auth().Login("m@acme.test", "manager-password", "1.2.3.4"); }), "user_disabled");
    EXPECT_EQ(CodeOf([&] { svc->auth().Login("m@acme.test", "wrong-password", "1.2.3.4"); }), "user_disabled");
    auto pending = [&] { svc->auth().BeginLogin("m@acme.test", "anything", "1.2.3.4"); };
    EXPECT_EQ(CodeOf(pending), "user_disabled");
    // Enabling again does not revive the token issued before the disable.
    svc->managers().UpdateManager(admin, user.id, ManagerPatch{.disabled = false});
    EXPECT_EQ(authenticator->Authenticate(token).error().code, "token_revoked");
    EXPECT_TRUE(
        authenticator->Authenticate(svc->auth().Login("m@acme.test", "manager-password", "1.2.3.4").token.token));
}

// The account limit holds whichever address the attempts come from; the address limit holds
// whichever accounts they name.
TEST_F(WadeskServiceTest, LoginLimitsCountPerAccountAndPerAddress) {
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(KindOf([&] { svc->auth().Login("admin@acme.test", "wrong", "9.9.9." + std::to_string(i)); }),
                  FailureKind::kUnauthenticated);
    for (const char* ip : {"9.9.9.0", "8.8.8.8"}) {
        try {
            svc->auth().Login("admin@acme.test", "admin-password", ip);
            FAIL() << "not limited from " << ip;
        } catch (const ServiceError& e) {
            EXPECT_EQ(e.kind(), FailureKind::kRateLimited);
            EXPECT_EQ(e.code(), ErrorCode::kRateLimited);
            EXPECT_GT(e.retry_after_s(), 0);
        }
    }
    EXPECT_FALSE(svc->auth().Login("m@acme.test", "manager-password", "9.9.9.0").token.token.empty());
}

TEST_F(WadeskServiceTest, LoginAddressLimitSpansAccounts) {
    WadeskService limited(*repo, bus, access, *authenticator, engine,
                          auth::LoginLimits{.per_account = 5, .per_ip = 3, .window_ms = 60'000});
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(CodeOf([&] { limited.auth().Login("nobody" + std::to_string(i) + "@acme.test", "x", "7.7.7.7"); }),
                  "invalid_credentials");
    EXPECT_EQ(CodeOf([&] { limited.auth().Login("admin@acme.test", "admin-password", "7.7.7.7"); }), "rate_limited");
    EXPECT_FALSE(limited.auth().Login("admin@acme.test", "admin-password", "7.7.7.8").token.token.empty());
}

// Check and record are one step: of 40 concurrent wrong attempts on one account, exactly the
// limit reaches a password check; the others are refused before it.
TEST_F(WadeskServiceTest, ConcurrentLoginsAdmitExactlyTheAccountLimit) {
    std::atomic<int> admitted{0}, limited{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 40; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) std::this_thread::yield();
            try {
                auto pending = svc->auth().BeginLogin(i % 2 ? "ADMIN@acme.test" : "admin@ACME.test", "wrong",
                                                      "10.1.0." + std::to_string(i));
                ++admitted;
                try {
                    svc->auth().FinishLogin(pending, false);
                } catch (const ServiceError&) {
                }
            } catch (const ServiceError& e) {
                if (e.code() == ErrorCode::kRateLimited) ++limited;
            }
        });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(admitted.load(), 5);
    EXPECT_EQ(limited.load(), 35);
}

// One spelling for the lockout and the lookup: a KELVIN SIGN "K", other case, a soft hyphen or
// a fullwidth letter name the same account, share its lockout, and cannot register twice.
TEST_F(WadeskServiceTest, EmailVariantsAreOneAccountAndOneLockout) {
    auto kim = svc->managers().CreateManager(admin, NewUser{"Kim@Acme.test", "kim-password", "Kim"});
    EXPECT_EQ(kim.email, "kim@acme.test");
    EXPECT_EQ(KindOf([&] {
                  svc->managers().CreateManager(admin, NewUser{"\u212Aim@acme.test", "other-password", ""});
              }),
              FailureKind::kConflict);
    EXPECT_EQ(svc->auth().Login("\u212AIM@ACME.TEST", "kim-password", "5.5.5.5").user.id, kim.id);
    const char* variants[] = {"\u212Aim@acme.test", "KIM@acme.test", "k\u00ADim@acme.test", "\uFF4Bim@acme.test",
                              "  kim@acme.test "};
    for (const char* v : variants)
        EXPECT_EQ(CodeOf([&] { svc->auth().Login(v, "wrong", "5.5.5." + std::to_string(std::strlen(v))); }),
                  "invalid_credentials")
            << v;
    EXPECT_EQ(CodeOf([&] { svc->auth().Login("kim@acme.test", "kim-password", "6.6.6.6"); }), "rate_limited");
    EXPECT_EQ(CodeOf([&] { svc->auth().Login("\u212Aim@acme.test", "kim-password", "6.6.6.7"); }), "rate_limited");
    // U+0130 is not "i": another account (none here), so no lockout is shared with "ivan".
    EXPECT_EQ(CodeOf([&] { svc->auth().Login("\u0130van@acme.test", "x", "5.5.5.5"); }), "invalid_credentials");
}

// Rows stored before the normalisation (an ASCII-only lowercase, or none) are rewritten when
// the service opens, so that the lookup in the one spelling finds them.
TEST_F(WadeskServiceTest, LoadViewsRewritesEmailsStoredInAnOlderSpelling) {
    domain::User old;
    old.company_id = admin.who.company_id;
    old.email = "\u212Aate@Acme.TEST";
    old.password_hash = auth::HashPassword("kate-password");
    old = repo->CreateUser(old);
    domain::User clash;  // normalises to an email another row holds: left as it is
    clash.company_id = admin.who.company_id;
    clash.email = "M@Acme.test";
    clash = repo->CreateUser(clash);
    svc->operators().LoadViews();
    EXPECT_EQ(repo->FindUserById(old.id)->email, "kate@acme.test");
    EXPECT_EQ(repo->FindUserById(clash.id)->email, "M@Acme.test");
    EXPECT_EQ(svc->auth().Login("KATE@acme.test", "kate-password", "4.4.4.4").user.id, old.id);
    EXPECT_EQ(svc->auth().Login("M@Acme.test", "manager-password", "4.4.4.4").user.id, manager.who.user_id);
}

// Every token issued before a password change, a disable or a sign-out everywhere is void;
// tokens issued after it, and other users' tokens, are not.
TEST_F(WadeskServiceTest, SignOutsVoidEarlierTokens) {
    auto before_password = svc->auth().Login("m@acme.test", "manager-password", "3.3.3.3").token.token;
    auto admin_token = svc->auth().Login("admin@acme.test", "admin-password", "3.3.3.3").token.token;
    svc->managers().UpdateManager(admin, manager.who.user_id, ManagerPatch{.password = "new-manager-password"});
    EXPECT_EQ(authenticator->Authenticate(before_password).error().code, "token_revoked");
    EXPECT_TRUE(authenticator->Authenticate(admin_token));
    auto after_password = svc->auth().Login("m@acme.test", "new-manager-password", "3.3.3.3").token.token;
    EXPECT_TRUE(authenticator->Authenticate(after_password));
    // A rename moves nothing.
    svc->managers().UpdateManager(admin, manager.who.user_id, ManagerPatch{.name = "Renamed"});
    EXPECT_TRUE(authenticator->Authenticate(after_password));

    svc->managers().LogoutManager(admin, manager.who.user_id);
    EXPECT_EQ(authenticator->Authenticate(after_password).error().code, "token_revoked");
    EXPECT_TRUE(authenticator->Authenticate(admin_token));
    EXPECT_EQ(KindOf([&] { svc->managers().LogoutManager(manager, manager.who.user_id); }), FailureKind::kForbidden);
    EXPECT_EQ(KindOf([&] { svc->managers().LogoutManager(other, manager.who.user_id); }), FailureKind::kNotFound);
    EXPECT_EQ(KindOf([&] { svc->managers().LogoutManager(admin, admin.who.user_id); }), FailureKind::kNotFound);

    svc->auth().LogoutAll(admin);
    EXPECT_EQ(authenticator->Authenticate(admin_token).error().code, "token_revoked");
    auto fresh = svc->auth().Login("admin@acme.test", "admin-password", "3.3.3.3").token.token;
    EXPECT_TRUE(authenticator->Authenticate(fresh));
    // The mark is stored: a restarted process loads it with the user.
    EXPECT_GT(repo->FindUserById(admin.who.user_id)->tokens_valid_after, 0);

    auto audit = svc->reports().Audit(admin, 1, 50).items;
    auto has = [&](const std::string& action) {
        return std::any_of(audit.begin(), audit.end(), [&](const domain::AuditEntry& e) { return e.action == action; });
    };
    EXPECT_TRUE(has("auth.logout_all"));
    EXPECT_TRUE(has("manager.logout_all"));
}

TEST_F(WadeskServiceTest, SessionCapIsAConflict) {
    auto c = *repo->FindCompany(admin.who.company_id);
    for (int i = 1; i < c.max_sessions; ++i) svc->sessions().CreateSession(admin, "s" + std::to_string(i));
    EXPECT_EQ(KindOf([&] { svc->sessions().CreateSession(admin, "one too many"); }), FailureKind::kConflict);
}

TEST_F(WadeskServiceTest, StatsFillThirtyDays) {
    Connect();
    svc->messages().Send(admin, session.id, "79001234567", {"x", "", ""});
    auto v = svc->reports().Stats(admin);
    ASSERT_EQ(v.stats.per_day.size(), 30u);
    EXPECT_EQ(v.stats.per_day.back().outgoing, 1);
    EXPECT_EQ(v.stats.per_day.front().outgoing, 0);
    EXPECT_EQ(KindOf([&] { svc->reports().Stats(manager); }), FailureKind::kForbidden);
}

// ---- send path: WhatsApp ids at creation, quotes, failures, reconnect flush, read receipts

TEST_F(WadeskServiceTest, OutgoingRowsGetTheirWhatsAppIdAtOnceAndQuotesGoToTheEngine) {
    Connect();
    IncomingMessage in;
    in.chat_jid = "79005556677@s.whatsapp.net";
    in.wa_message_id = "3EB0FROMCUSTOMER";
    in.sender_jid = in.chat_jid;
    in.body = "Is it in stock?";
    in.timestamp_ms = NowMs();
    ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));
    auto quoted = repo->FindMessageByWaId(session.id, "3EB0FROMCUSTOMER");
    ASSERT_TRUE(quoted);
    auto reply = svc->messages().Send(admin, session.id, "79005556677", {"Yes", quoted->id, ""});
    EXPECT_EQ(reply.message.wa_message_id.size(), 22u);
    EXPECT_EQ(reply.message.wa_message_id.substr(0, 4), "3EB0");
    EXPECT_EQ(reply.message.status, domain::MessageStatus::kPending);
    ASSERT_EQ(engine.sent.size(), 1u);
    EXPECT_EQ(engine.sent[0].wa_message_id, reply.message.wa_message_id);
    EXPECT_EQ(engine.sent[0].quoted_wa_message_id, "3EB0FROMCUSTOMER");
    EXPECT_EQ(engine.sent[0].quoted_sender_jid, "79005556677@s.whatsapp.net");
    EXPECT_EQ(engine.sent[0].quoted_body, "Is it in stock?");
    // Quoting our own message names our own user JID (no device part).
    auto again = svc->messages().Send(admin, session.id, "79005556677", {"And in blue", reply.message.id, ""});
    ASSERT_EQ(engine.sent.size(), 2u);
    EXPECT_EQ(engine.sent[1].quoted_wa_message_id, reply.message.wa_message_id);
    EXPECT_EQ(engine.sent[1].quoted_sender_jid, "79000000000@s.whatsapp.net");
    EXPECT_EQ(engine.sent[1].quoted_body, "Yes");
    // The server's ack makes it sent.
    engine.events_->OnMessageStatus(session.id, again.message.wa_message_id, domain::MessageStatus::kSent);
    EXPECT_EQ(repo->FindMessage(admin.who.company_id, session.id, again.message.id)->status, domain::MessageStatus::kSent);
}

TEST_F(WadeskServiceTest, PendingMessagesLeaveOncePerConnectionOldestFirst) {
    Connect();
    auto first = svc->messages().Send(admin, session.id, "79001234567", {"one", "", ""});
    engine.events_->OnStatus(session.id, domain::SessionStatus::kReconnecting, "transport");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a later millisecond: a defined order
    auto second =
        svc->messages().Send(admin, session.id, "79001234567", {"two", "", ""});  // accepted while reconnecting
    ASSERT_EQ(engine.sent.size(), 2u);
    engine.sent.clear();
    // Back: both are still pending (no server ack came), so both go to the new connection,
    // oldest first, with the ids they were created with.
    Connect();
    ASSERT_EQ(engine.sent.size(), 2u);
    EXPECT_EQ(engine.sent[0].message_id, first.message.id);
    EXPECT_EQ(engine.sent[0].wa_message_id, first.message.wa_message_id);
    EXPECT_EQ(engine.sent[1].message_id, second.message.id);
    EXPECT_EQ(engine.sent[1].body, "two");
    EXPECT_EQ(engine.sent[1].chat_jid, "79001234567@s.whatsapp.net");
    // Acked ones do not leave again; the next connection gets only what is still pending.
    engine.events_->OnMessageStatus(session.id, first.message.wa_message_id, domain::MessageStatus::kSent);
    engine.sent.clear();
    Connect();
    ASSERT_EQ(engine.sent.size(), 1u);
    EXPECT_EQ(engine.sent[0].message_id, second.message.id);
}

TEST_F(WadeskServiceTest, SendFailureIsStoredWithItsReasonAndEmitted) {
    Connect();
    auto sent = svc->messages().Send(admin, session.id, "79001234567", {"hello", "", ""});
    events.clear();
    engine.events_->OnMessageFailed(session.id, sent.message.wa_message_id, "no_devices");
    auto stored = repo->FindMessage(admin.who.company_id, session.id, sent.message.id);
    EXPECT_EQ(stored->status, domain::MessageStatus::kFailed);
    EXPECT_EQ(stored->failure_reason, "no_devices");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].name, "whatsapp:message_status");
    auto payload = boost::json::parse(events[0].payload_json).as_object();
    EXPECT_EQ(payload.at("status").as_string(), "failed");
    EXPECT_EQ(payload.at("reason").as_string(), "no_devices");
    EXPECT_EQ(payload.at("messageId").as_string(), sent.message.id);
    auto page = svc->chats().ListMessages(admin, session.id, sent.message.chat_id, 1, 50, "");
    EXPECT_EQ(page.items[0].failure_reason, "no_devices");
    // A failed message is not sent again on the next connection.
    engine.sent.clear();
    Connect();
    EXPECT_TRUE(engine.sent.empty());
}

TEST_F(WadeskServiceTest, MarkReadSendsReceiptsForTheUnreadIncomingMessages) {
    Connect();
    const std::int64_t t0 = NowMs();
    std::int64_t step = 0;
    for (const char* id : {"3EB0IN1", "3EB0IN2", "3EB0IN3"}) {
        IncomingMessage in;
        in.chat_jid = "79005556677@s.whatsapp.net";
        in.wa_message_id = id;
        in.sender_jid = in.chat_jid;
        in.body = id;
        in.timestamp_ms = t0 + 10 * step++;
        ASSERT_TRUE(engine.events_->OnIncomingMessage(session.id, in, nullptr));
    }
    svc->messages().Send(admin, session.id, "79005556677", {"ours", "", ""});
    svc->chats().MarkRead(admin, session.id, "79005556677");
    ASSERT_EQ(engine.read_ids.size(), 1u);
    EXPECT_EQ(engine.read_ids[0], (std::vector<std::string>{"3EB0IN1", "3EB0IN2", "3EB0IN3"}));
    EXPECT_EQ(engine.read_senders[0], "") << "1:1: no participant";
    // Nothing unread: no receipt.
    svc->chats().MarkRead(admin, session.id, "79005556677");
    EXPECT_EQ(engine.read_ids.size(), 1u);
}

// Entering the QR state is announced as whatsapp:session_status; a rotated QR is not a new status.
TEST_F(WadeskServiceTest, EnteringTheQrStateIsASessionStatusEvent) {
    const auto statuses = [&] {
        std::vector<std::string> out;
        for (const auto& e : events)
            if (e.name == "whatsapp:session_status" && e.payload_json.find("\"status\":\"qr\"") != std::string::npos)
                out.push_back(e.payload_json);
        return out;
    };
    engine.events_->OnQr(session.id, "2@a,k", "data:image/png;base64,AAAA", NowMs() + 20000);
    ASSERT_EQ(statuses().size(), 1u);
    EXPECT_NE(statuses()[0].find("\"reason\":null"), std::string::npos) << statuses()[0];
    engine.events_->OnQr(session.id, "2@b,k", "data:image/png;base64,BBBB", NowMs() + 20000);
    EXPECT_EQ(statuses().size(), 1u);
    // A QR timeout, then a new start: the next QR is a status change again.
    engine.events_->OnStatus(session.id, domain::SessionStatus::kDisconnected, "qr_timeout");
    engine.events_->OnQr(session.id, "2@c,k", "data:image/png;base64,CCCC", NowMs() + 20000);
    EXPECT_EQ(statuses().size(), 2u);
}

// An admin's disconnect keeps its reason when the engine reports the logout it asked for.
TEST_F(WadeskServiceTest, AnAdminsDisconnectKeepsItsReason) {
    Connect();
    svc->sessions().Disconnect(admin, session.id);
    ASSERT_EQ(engine.logged_out, std::vector<std::string>{session.id});
    engine.events_->OnStatus(session.id, domain::SessionStatus::kLoggedOut, "logout");  // the engine's own report, later
    const auto s = svc->sessions().GetSession(admin, session.id);
    EXPECT_EQ(s.status, domain::SessionStatus::kLoggedOut);
    EXPECT_EQ(s.status_reason, "disconnected_by_admin");
    int disconnected = 0;
    for (const auto& e : events) disconnected += e.name == "whatsapp:disconnected";
    EXPECT_EQ(disconnected, 1) << "the logout is announced once";
    // An unlink from the phone still replaces it.
    svc->sessions().StartSession(admin, session.id);
    Connect();
    engine.events_->OnStatus(session.id, domain::SessionStatus::kLoggedOut, "unlinked_from_phone");
    EXPECT_EQ(svc->sessions().GetSession(admin, session.id).status_reason, "unlinked_from_phone");
}

}  // namespace
}  // namespace wadesk::service
