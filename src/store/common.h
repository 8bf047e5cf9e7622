#pragma once
// What every repository header shares: the domain vocabulary (domain/model.h) spoken unqualified
// by the store, and a page of a listing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/model.h"

namespace wadesk::store {

using domain::Access;
using domain::AuditEntry;
using domain::Chat;
using domain::Company;
using domain::Contact;
using domain::Event;
using domain::GroupParticipant;
using domain::MediaInfo;
using domain::Message;
using domain::MessageReceipt;
using domain::RevokedToken;
using domain::Role;
using domain::User;
using domain::WaSession;
using domain::kHistoryFull;
using domain::kHistoryNone;
using domain::kHistoryRecent;
using domain::MediaStatus;
using domain::MessageStatus;
using domain::MessageType;
using domain::SessionStatus;

template <class T>
struct Page {
    std::vector<T> items;
    std::int64_t total = 0;                  // rows matching the filter, all pages
};

}  // namespace wadesk::store
