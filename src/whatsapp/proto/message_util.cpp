#include "whatsapp/proto/message_util.h"

namespace wadesk::wa {

const Message& UnwrapMessage(const Message& message) {
    const Message* m = &message;
    for (int depth = 0; depth < 8; ++depth) {
        const Message* inner = nullptr;
        if (m->has_devicesentmessage() && m->devicesentmessage().has_message()) {
            inner = &m->devicesentmessage().message();
        } else if (m->has_ephemeralmessage() && m->ephemeralmessage().has_message()) {
            inner = &m->ephemeralmessage().message();
        } else if (m->has_viewoncemessage() && m->viewoncemessage().has_message()) {
            inner = &m->viewoncemessage().message();
        } else if (m->has_viewoncemessagev2() && m->viewoncemessagev2().has_message()) {
            inner = &m->viewoncemessagev2().message();
        } else if (m->has_viewoncemessagev2extension() && m->viewoncemessagev2extension().has_message()) {
            inner = &m->viewoncemessagev2extension().message();
        } else if (m->has_documentwithcaptionmessage() && m->documentwithcaptionmessage().has_message()) {
            inner = &m->documentwithcaptionmessage().message();
        } else if (m->has_editedmessage() && m->editedmessage().has_message()) {
            inner = &m->editedmessage().message();
        }
        if (inner == nullptr) break;
        m = inner;
    }
    return *m;
}

}  // namespace wadesk::wa
