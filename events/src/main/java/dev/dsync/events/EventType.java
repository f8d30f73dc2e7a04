package dev.dsync.events;

import dev.dsync.events.audit.AuditCheckpoint;
import dev.dsync.events.audit.AuditRecord;
import dev.dsync.events.identity.DirectoryEventData;
import dev.dsync.events.identity.GroupEventData;
import dev.dsync.events.identity.IdentityState;
import dev.dsync.events.identity.MembershipEventData;
import dev.dsync.events.identity.UserEventData;
import dev.dsync.events.provisioning.ProvisioningResult;
import dev.dsync.events.source.DirectoryChanged;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.SyncJobCompleted;
import dev.dsync.events.source.SyncJobFailed;
import dev.dsync.events.source.SyncJobStarted;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import dev.dsync.events.webhook.WebhookAttempt;

/**
 * Every CloudEvents {@code type} dsync publishes, with its topic, data record and JSON Schema
 * ({@code dsync/events/schemas/<type>.schema.json} on the classpath).
 */
public enum EventType {
  SOURCE_USER_UPSERTED("dsync.source.user.upserted", Topic.SOURCE_CHANGES, UserUpserted.class),
  SOURCE_USER_DELETED("dsync.source.user.deleted", Topic.SOURCE_CHANGES, UserDeleted.class),
  SOURCE_GROUP_UPSERTED("dsync.source.group.upserted", Topic.SOURCE_CHANGES, GroupUpserted.class),
  SOURCE_GROUP_DELETED("dsync.source.group.deleted", Topic.SOURCE_CHANGES, GroupDeleted.class),
  SOURCE_GROUP_MEMBERSHIP_CHANGED(
      "dsync.source.group.membership_changed", Topic.SOURCE_CHANGES, GroupMembershipChanged.class),
  SOURCE_SYNC_JOB_STARTED("dsync.source.sync_job.started", Topic.SOURCE_CHANGES, SyncJobStarted.class),
  SOURCE_SYNC_JOB_COMPLETED(
      "dsync.source.sync_job.completed", Topic.SOURCE_CHANGES, SyncJobCompleted.class),
  SOURCE_SYNC_JOB_FAILED("dsync.source.sync_job.failed", Topic.SOURCE_CHANGES, SyncJobFailed.class),
  SOURCE_DIRECTORY_CHANGED(
      "dsync.source.directory.changed", Topic.SOURCE_CHANGES, DirectoryChanged.class),

  USER_CREATED("dsync.user.created", Topic.IDENTITY_EVENTS, UserEventData.class),
  USER_UPDATED("dsync.user.updated", Topic.IDENTITY_EVENTS, UserEventData.class),
  USER_DELETED("dsync.user.deleted", Topic.IDENTITY_EVENTS, UserEventData.class),
  GROUP_CREATED("dsync.group.created", Topic.IDENTITY_EVENTS, GroupEventData.class),
  GROUP_UPDATED("dsync.group.updated", Topic.IDENTITY_EVENTS, GroupEventData.class),
  GROUP_DELETED("dsync.group.deleted", Topic.IDENTITY_EVENTS, GroupEventData.class),
  GROUP_USER_ADDED("dsync.group.user_added", Topic.IDENTITY_EVENTS, MembershipEventData.class),
  GROUP_USER_REMOVED("dsync.group.user_removed", Topic.IDENTITY_EVENTS, MembershipEventData.class),
  DIRECTORY_ACTIVATED("dsync.directory.activated", Topic.IDENTITY_EVENTS, DirectoryEventData.class),
  DIRECTORY_DEACTIVATED(
      "dsync.directory.deactivated", Topic.IDENTITY_EVENTS, DirectoryEventData.class),
  DIRECTORY_DELETED("dsync.directory.deleted", Topic.IDENTITY_EVENTS, DirectoryEventData.class),

  IDENTITY_STATE("dsync.identity.state", Topic.IDENTITY_STATE, IdentityState.class),
  PROVISIONING_RESULT(
      "dsync.provisioning.result", Topic.PROVISIONING_RESULTS, ProvisioningResult.class),
  WEBHOOK_ATTEMPT("dsync.webhook.attempt", Topic.WEBHOOK_ATTEMPTS, WebhookAttempt.class),
  AUDIT_RECORD("dsync.audit.record", Topic.AUDIT_RECORDS, AuditRecord.class),
  AUDIT_CHECKPOINT("dsync.audit.checkpoint", Topic.AUDIT_RECORDS, AuditCheckpoint.class);

  private final String type;
  private final Topic topic;
  private final Class<?> dataClass;

  EventType(String type, Topic topic, Class<?> dataClass) {
    this.type = type;
    this.topic = topic;
    this.dataClass = dataClass;
  }

  /** The CloudEvents {@code type} attribute. */
  public String type() {
    return type;
  }

  /** The topic events of this type are published to. */
  public Topic topic() {
    return topic;
  }

  /** The Java record of the event's {@code data}. */
  public Class<?> dataClass() {
    return dataClass;
  }

  /** Classpath location of the JSON Schema of the event's data. */
  public String schemaResource() {
    return "dsync/events/schemas/" + type + ".schema.json";
  }

  /** Classpath location of the golden sample of the event's data. */
  public String sampleResource() {
    return "dsync/events/samples/" + type + ".json";
  }

  public static EventType of(String type) {
    for (EventType t : values()) {
      if (t.type.equals(type)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown event type " + type);
  }
}
