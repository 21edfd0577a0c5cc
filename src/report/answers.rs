//! The lab questions answered from a capture (filled below).
