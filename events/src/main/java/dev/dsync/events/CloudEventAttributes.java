package dev.dsync.events;

/**
 * Names of the CloudEvents attributes dsync sets, as Kafka headers in binary mode ({@code ce_}
 * prefix, per the CloudEvents Kafka protocol binding).
 */
public final class CloudEventAttributes {

  public static final String SPEC_VERSION = "ce_specversion";
  public static final String ID = "ce_id";
  public static final String SOURCE = "ce_source";
  public static final String TYPE = "ce_type";
  public static final String TIME = "ce_time";
  public static final String SUBJECT = "ce_subject";
  public static final String CONTENT_TYPE = "content-type";
  /** Extension: the tenant the event belongs to. Present on every record. */
  public static final String TENANT_ID = "ce_tenantid";
  /** Extension: the directory the event belongs to (empty for tenant-level events). */
  public static final String DIRECTORY_ID = "ce_directoryid";

  /** Extension attribute names without the header prefix. */
  public static final String EXT_TENANT_ID = "tenantid";

  public static final String EXT_DIRECTORY_ID = "directoryid";

  private CloudEventAttributes() {}
}
