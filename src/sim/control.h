#pragma once
// The emulator's control API (JSON over HTTP on loopback), as a plain function so it is testable
// without sockets. Routes:
//   GET    /health                               {"ok":true,"root_key":hex}
//   GET    /accounts                             {"accounts":[account...]}
//   POST   /accounts          {"phone","name"}   201 account  (409 account_exists, 400 bad_phone)
//   GET    /accounts/{phone}                     account
//   POST   /accounts/{phone}/scan {"qr"}         {"device_id","jid","lid_jid"}  (404/409 on no match)
//   GET    /accounts/{phone}/devices             {"devices":[{"id","jid","lid_jid","key_index","platform","paired_at","online"}]}
//   DELETE /accounts/{phone}/devices/{id}        {"ok":true}   unlink from the phone side
//   POST   /accounts/{phone}/pair-code {"code"}  {"ref","status":"waiting"}  the phone enters a pairing code
//   GET    /accounts/{phone}/pair-code           {"ref","status","message"?,"device_id"?}  its outcome
//   POST   /accounts/{phone}/send {"to","text","addressing"?: "pn"|"lid","id"?}
//                                                {"id","devices":[jid...]}  the phone sends a text
//   GET    /accounts/{phone}/inbox               {"messages":[{"id","from","chat","text","type","t","count"}]}
//   POST   /accounts/{phone}/read {"chat","ids"} {"ok":true}   read receipts from the phone
//   POST   /accounts/{phone}/break-next {"to"}   {"ok":true}   the phone's next message to that device fails
//   GET    /accounts/{phone}/receipts            {"receipts":[{"id","from","type","count"}]}
//   GET    /accounts/{phone}/groups              {"groups":[group...]}          the phone's groups
//   POST   /accounts/{phone}/groups {"subject","participants"}   201 group        the phone creates one
//   GET    /accounts/{phone}/groups/{gid}        group
//   POST   /accounts/{phone}/groups/{gid}/participants {"action","participants"} {"participants":[{"jid","error"?}]}
//   PUT    /accounts/{phone}/groups/{gid}/subject {"subject"}   {"ok":true}
//   POST   /accounts/{phone}/groups/{gid}/leave  {"ok":true}
//   POST   /accounts/{phone}/groups/{gid}/send {"text","id"?}   {"id","devices":[jid...]}
// account = {"phone","name","lid","jid","lid_jid","identity_key","devices":[...]}; group =
// {"id","subject","creator","creation","addressing_mode","participants":[{"jid","phone_number","admin"}]}.
// Errors: {"error":{"code","message"}} with 400, 404, 405, 409 or 500 (signal_*).
#include <string>
#include <string_view>

#include "sim/server.h"

namespace wadesk::sim {

struct ControlResponse {
    int status = 200;
    std::string body;  // JSON
};

ControlResponse HandleControl(SimServer& server, std::string_view method, std::string_view target,
                              std::string_view body);

}  // namespace wadesk::sim
