// Bench load and server pings (docs/sim.md, "Bench load"): the phones send texts at a fixed rate
// from a timer of the network layer, and the server pings a device and times the reply. Both run
// on the sim's one thread, like everything in SimServer.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "sim/server.h"
#include "whatsapp/binary/jid.h"

namespace wadesk::sim {
using wa::Attrs;
using wa::Node;

Result<void> SimServer::StartLoad(LoadSpec spec) {
    if (LoadRunning()) return MakeError("load_running", "a load run is in progress");
    if (spec.pairs.empty()) return MakeError("bad_request", "'pairs' must name at least one (sender, recipient) pair");
    if (!(spec.rate > 0) || spec.count == 0) return MakeError("bad_request", "'rate' and 'count' must be positive");
    for (const auto& [from, to] : spec.pairs) {
        if (!FindAccount(from)) return MakeError("no_account", "no account " + from);
        if (to.empty()) return MakeError("bad_request", "a pair has no recipient");
    }
    LoadRun run;
    run.status.running = true;
    run.status.count = spec.count;
    run.spec = std::move(spec);
    run.started_us = steady_us();
    load_ = std::move(run);
    spdlog::info("[sim] load: {} texts at {}/s over {} pair(s)", load_->spec.count, load_->spec.rate,
                 load_->spec.pairs.size());
    return {};
}

void SimServer::LoadTick() {
    if (!LoadRunning()) return;
    LoadRun& run = *load_;
    LoadStatus& st = run.status;
    const double elapsed = static_cast<double>(steady_us() - run.started_us) / 1e6;
    st.due = std::min<std::uint64_t>(run.spec.count, static_cast<std::uint64_t>(std::floor(elapsed * run.spec.rate)));
    for (std::uint64_t n = 0; n < kLoadBurst && st.sent + st.failed < st.due; ++n) {
        const auto& [from, to] = run.spec.pairs[run.next_pair];
        run.next_pair = (run.next_pair + 1) % run.spec.pairs.size();
        const std::uint64_t seq = st.sent + st.failed;
        const std::string text = run.spec.text_prefix + " " + std::to_string(seq) + " " + std::to_string(wall_us());
        auto r = PhoneSendText(from, to, text, run.spec.addressing, {}, run.spec.fanout, Persistence::kDeferred);
        if (r) {
            ++st.sent;
        } else {
            ++st.failed;
            st.last_error = r.error().code + ": " + r.error().message;
        }
    }
    st.elapsed_s = static_cast<double>(steady_us() - run.started_us) / 1e6;
    if (st.sent + st.failed < run.spec.count) return;
    st.running = false;
    // The phones' Signal sessions advanced with every send: save each sender once.
    std::vector<std::string> senders;
    for (const auto& [from, to] : run.spec.pairs) senders.push_back(from);
    std::sort(senders.begin(), senders.end());
    senders.erase(std::unique(senders.begin(), senders.end()), senders.end());
    for (const auto& phone : senders) {
        if (const Account* a = FindAccount(phone)) Persist(*a);
    }
    spdlog::info("[sim] load done: {} sent, {} failed in {:.1f} s", st.sent, st.failed, st.elapsed_s);
}

LoadStatus SimServer::Load() const {
    if (!load_) return {};
    LoadStatus st = load_->status;
    if (st.running) st.elapsed_s = static_cast<double>(steady_us() - load_->started_us) / 1e6;
    return st;
}

Result<std::string> SimServer::Ping(std::string_view phone, std::uint16_t device) {
    const Account* account = FindAccount(phone);
    if (!account) return MakeError("no_account", "no such account");
    if (!account->devices.count(device)) return MakeError("no_device", "no such device");
    const DeviceKey key{std::string(phone), device};
    auto it = online_.find(key);
    if (it == online_.end() || it->second->closed()) return MakeError("device_offline", "the device is not connected");
    std::string id = ToHex(RandomBytes(8));
    pings_[id] = PendingPing{key, steady_us()};
    // As WhatsApp's server pings: <iq from='s.whatsapp.net' id type='get' xmlns='urn:xmpp:ping'/>.
    it->second->Send(Node(
        "iq", Attrs{{"from", std::string(wa::kServerUser)}, {"id", id}, {"type", "get"}, {"xmlns", "urn:xmpp:ping"}}));
    return Result<std::string>(boost::system::in_place_value, std::move(id));
}

void SimServer::OnIqReply(const DeviceKey& from, const Node& iq) {
    auto it = pings_.find(std::string(iq.AttrOr("id", "")));
    if (it == pings_.end() || it->second.device != from) return;
    auto& samples = ping_samples_[from];
    samples.push_back(PingSample{it->first, it->second.sent_us, steady_us() - it->second.sent_us});
    if (samples.size() > kPingMemory) samples.pop_front();
    pings_.erase(it);
}

std::vector<PingSample> SimServer::Pings(std::string_view phone, std::uint16_t device) const {
    auto it = ping_samples_.find(DeviceKey{std::string(phone), device});
    if (it == ping_samples_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

}  // namespace wadesk::sim
