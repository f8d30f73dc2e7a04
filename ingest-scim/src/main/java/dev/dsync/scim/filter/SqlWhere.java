package dev.dsync.scim.filter;

import java.util.List;

/** A SQL condition with its positional parameters ($n numbering continues the caller's). */
public record SqlWhere(String sql, List<Object> params) {}
