#pragma once
// Included by the targets that parse protobuf: libprotobuf logs every string field that is not
// UTF-8 (a parse failure in proto3) to stderr, which would bury libFuzzer's output. Defines the
// target's LLVMFuzzerInitialize.
#include <google/protobuf/stubs/logging.h>

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}
