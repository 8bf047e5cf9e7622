#pragma once
// The routes of message files (docs/api.md "Media"):
//   GET  /api/whatsapp/sessions/{sessionId}/messages/{messageId}/media            the bytes
//   POST /api/whatsapp/sessions/{sessionId}/messages/{messageId}/media/download   fetch again
// Both under the message's read right (canRead; 404 without it). `service` may be null to list routes.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "http/router.h"
#include "service/wadesk_service.h"

namespace wadesk::http {

void RegisterMediaRoutes(Router& router, service::WadeskService* service,
                         std::function<service::Actor(const Request&)> authenticate);

// POST .../chats/{chatId}/send as multipart/form-data (docs/api.md): `file` (its filename and
// Content-Type kept), `message` (caption), `clientMessageId`, `quotedMessageId`, `type`. 400
// invalid_multipart / invalid_field / missing_field, 413 payload_too_large beyond `max_file_bytes`.
Response SendMultipart(service::WadeskService& service, const service::Actor& actor, const Request& req,
                       std::uint64_t max_file_bytes);

// True for the requests whose body may hold a file (the multipart send), so the server allows
// them a body up to the file limit.
bool IsUploadRequest(std::string_view method, std::string_view target);

}  // namespace wadesk::http
