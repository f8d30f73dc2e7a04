package dev.dsync.reconciler.mapping;

/** One step of a mapping's transform chain; which fields apply depends on {@link TransformType}. */
public record Transform(
    TransformType type,
    String pattern,
    String replacement,
    String template,
    String value,
    String inputFormat,
    String outputFormat) {

  public static Transform of(TransformType type) {
    return new Transform(type, null, null, null, null, null, null);
  }

  public static Transform regexReplace(String pattern, String replacement) {
    return new Transform(TransformType.REGEX_REPLACE, pattern, replacement, null, null, null, null);
  }

  public static Transform template(String template) {
    return new Transform(TransformType.TEMPLATE, null, null, template, null, null, null);
  }

  public static Transform defaultValue(String value) {
    return new Transform(TransformType.DEFAULT, null, null, null, value, null, null);
  }

  public static Transform dateFormat(String inputFormat, String outputFormat) {
    return new Transform(TransformType.DATE_FORMAT, null, null, null, null, inputFormat, outputFormat);
  }
}
