#pragma once
// Numbered schema migrations, embedded in the binary at build time from
// src/store/migrations/<backend>/V<NNN>__<name>.sql (see embed_migrations.cmake).
#include <span>

namespace wadesk::store::detail {

struct Migration {
    int version;       // NNN of the file name; applied in ascending order, each exactly once
    const char* name;  // the part after "__"
    const char* sql;   // one or more statements, run in one transaction
};

std::span<const Migration> SqliteMigrations();    // ascending versions
std::span<const Migration> PostgresMigrations();  // ascending versions

}  // namespace wadesk::store::detail
