#pragma once
// Fixture: an allowed arrow (high links low).
#include "low/low.h"
