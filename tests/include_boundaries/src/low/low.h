#pragma once
// Fixture: the wrong arrow the check must refuse (low does not link high).
#include "high/high.h"
