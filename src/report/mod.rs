//! Reading access logs back: `reqlog report` (being written).
