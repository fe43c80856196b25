//! Automatic differentiation: one op set, forward mode (duals) and reverse mode (a tape) over it. (Being built.)
