package dev.dsync.reconciler.mapping;

/** What a transform step does to a mapped value. */
public enum TransformType {
  /** Strips leading and trailing whitespace. */
  TRIM,
  /** Lower-cases (root locale). */
  LOWER,
  /** Upper-cases (root locale). */
  UPPER,
  /** Replaces every match of {@code pattern} with {@code replacement} ($1 group references allowed). */
  REGEX_REPLACE,
  /** Builds a string from several source attributes: {@code {path}} placeholders, {@code {.}} = current value. */
  TEMPLATE,
  /** Uses {@code value} when the current value is missing or blank. */
  DEFAULT,
  /** Re-formats a date/time from {@code inputFormat} (default ISO-8601) to {@code outputFormat}. */
  DATE_FORMAT
}
