# Fixture for the test include_boundaries_refuses_a_wrong_arrow: `high` links `low`, not the reverse.
set(WADESK_MODULES low high)
set(WADESK_DIR_low low)
set(WADESK_ALLOWED_low low)
set(WADESK_DIR_high high)
set(WADESK_ALLOWED_high high low)
