package dev.dsync.scim.filter;

import com.unboundid.scim2.common.exceptions.BadRequestException;
import com.unboundid.scim2.common.filters.Filter;
import dev.dsync.scim.protocol.ScimProblem;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses SCIM filters (RFC 7644 §3.4.2.2) with the UnboundID SCIM SDK's parser, accepting the one
 * non-standard form a real client sends: Entra's unquoted comparison values
 * ({@code externalId eq jyoung}).
 */
public final class ScimFilters {

  private static final Pattern BARE_VALUE =
      Pattern.compile("(?i)(\\s(?:eq|ne|co|sw|ew|gt|ge|lt|le)\\s+)([^\\s\"()\\[\\]]+)");
  private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");

  private ScimFilters() {}

  public static Filter parse(String expression, int maxLength) {
    if (expression == null || expression.isBlank()) {
      throw ScimProblem.invalidFilter("the filter is empty");
    }
    if (expression.length() > maxLength) {
      throw ScimProblem.invalidFilter("the filter is longer than " + maxLength + " characters");
    }
    checkBalanced(expression);
    try {
      return Filter.fromString(expression);
    } catch (BadRequestException first) {
      String quoted = quoteBareValues(expression);
      if (!quoted.equals(expression)) {
        try {
          return Filter.fromString(quoted);
        } catch (BadRequestException ignored) {
          // Report the original problem, not the one of our rewrite.
        }
      }
      throw ScimProblem.invalidFilter(describe(first));
    } catch (RuntimeException e) {
      throw ScimProblem.invalidFilter("the filter could not be parsed");
    }
  }

  /** The SDK's parser tolerates a missing closing bracket or parenthesis; the grammar does not. */
  private static void checkBalanced(String expression) {
    int parens = 0;
    int brackets = 0;
    boolean quoted = false;
    for (int i = 0; i < expression.length(); i++) {
      char c = expression.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
        continue;
      }
      switch (c) {
        case '"' -> quoted = true;
        case '(' -> parens++;
        case ')' -> parens--;
        case '[' -> brackets++;
        case ']' -> brackets--;
        default -> { }
      }
      if (parens < 0 || brackets < 0) {
        throw ScimProblem.invalidFilter("unbalanced '" + c + "' at position " + i);
      }
    }
    if (quoted) {
      throw ScimProblem.invalidFilter("unterminated string");
    }
    if (parens != 0 || brackets != 0) {
      throw ScimProblem.invalidFilter("unbalanced parentheses or brackets");
    }
  }

  static String quoteBareValues(String expression) {
    Matcher m = BARE_VALUE.matcher(expression);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = m.group(2);
      String lower = value.toLowerCase(Locale.ROOT);
      boolean literal = lower.equals("true") || lower.equals("false") || lower.equals("null") || NUMBER.matcher(value).matches();
      m.appendReplacement(out, Matcher.quoteReplacement(literal ? m.group(0) : m.group(1) + "\"" + value + "\""));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String describe(BadRequestException e) {
    String msg = e.getMessage() == null ? "invalid filter" : e.getMessage();
    int nl = msg.indexOf('\n');
    if (nl >= 0) {
      msg = msg.substring(0, nl);
    }
    // Keep the SDK's "at position N" and drop the JSON parser's internals after it.
    int colon = msg.indexOf(": ", msg.indexOf("position") < 0 ? 0 : msg.indexOf("position"));
    return colon > 0 ? msg.substring(0, colon) : msg;
  }
}
