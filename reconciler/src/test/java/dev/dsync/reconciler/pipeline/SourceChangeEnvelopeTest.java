package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.Actor;
import dev.dsync.events.DsyncEvent;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.source.GroupDeleted;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.UserDeleted;
import dev.dsync.events.source.UserUpserted;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A job's change is staged from its envelope, read as tokens; what it reads must be what binding gives. */
class SourceChangeEnvelopeTest {

  private static final Actor ACTOR = new Actor(Actor.Kind.SYSTEM, "test", null);
  private static final Instant T = Instant.parse("2026-12-01T18:00:00.123456Z");

  @Test
  void each_kind_of_job_change_reads_the_job_resource_and_weight_that_binding_gives() {
    ObjectNode resource = JsonNodeFactory.instance.objectNode().put("userName", "a@x.test");
    resource.putObject("nested").putArray("jobId").add("not this one");
    List<Object> changes = List.of(
        new UserUpserted("u1", "e1", 3, T, resource, List.of("userName"), ACTOR, "job-1"),
        new UserDeleted("u2", null, 4, T, ACTOR, "job-1"),
        new GroupUpserted("g1", "e", 1, T, resource, List.of(), ACTOR, "job-2"),
        new GroupDeleted("g2", "e", 1, T, null, "job-2"),
        new GroupMembershipChanged("g3", 2, T, List.of(new MemberRef("u1", "User"), new MemberRef("u2", "User")),
            List.of(new MemberRef("u3", "User")), false, ACTOR, "job-3"),
        new GroupMembershipChanged("g4", 2, T, null, List.of(), true, ACTOR, "job-3"));
    for (Object data : changes) {
      EventType type = typeOf(data);
      String json = EventJson.write(data);
      SourceChange bound = new SourceChange(UUID.randomUUID(), type, "t", "d", EventJson.read(json, type.dataClass()), json);
      SourceChange staged = SourceChange.from(event(type, json));

      assertThat(staged.jobId()).as(json).isNotNull().isEqualTo(bound.jobId());
      assertThat(staged.resourceId()).as(json).isNotNull().isEqualTo(bound.resourceId());
      assertThat(staged.weight()).as(json).isEqualTo(bound.weight());
      assertThat(staged.json()).isEqualTo(json);
      // Asked for, the data binds as it would have at once.
      assertThat(staged.data()).as(json).isEqualTo(bound.data());
    }
  }

  @Test
  void a_push_is_bound_at_once_and_refused_at_once_when_it_does_not_bind() {
    String json = EventJson.write(new UserDeleted("u1", null, 1, T, ACTOR, null));
    SourceChange push = SourceChange.from(event(EventType.SOURCE_USER_DELETED, json));
    assertThat(push.jobId()).isNull();
    assertThat(push.resourceId()).isEqualTo("u1");

    assertThatThrownBy(() -> SourceChange.from(event(EventType.SOURCE_USER_DELETED, "{\"resourceId\":\"u1\",\"sourceVersion\":\"x\"}")))
        .isInstanceOf(RejectedChange.class);
  }

  @Test
  void a_job_change_that_does_not_bind_is_staged_and_refused_when_its_data_is_asked_for() {
    SourceChange staged = SourceChange.from(event(EventType.SOURCE_USER_UPSERTED,
        "{\"resourceId\":\"u1\",\"sourceVersion\":\"not a number\",\"jobId\":\"job-1\"}"));
    assertThat(staged.jobId()).isEqualTo("job-1");
    assertThat(staged.resourceId()).isEqualTo("u1");
    assertThatThrownBy(staged::data).isInstanceOf(RejectedChange.class).hasMessageContaining("does not match");

    SourceChange nul = SourceChange.from(event(EventType.SOURCE_USER_UPSERTED,
        "{\"resourceId\":\"u1\",\"sourceVersion\":1,\"resource\":{\"userName\":\"a\\u0000b\"},\"jobId\":\"job-1\"}"));
    assertThatThrownBy(nul::data).isInstanceOf(RejectedChange.class).hasMessageContaining("NUL");
  }

  @Test
  void text_that_is_not_json_is_refused_at_once_even_with_a_job() {
    for (String json : new String[] {"{\"jobId\":\"job-1\",\"resourceId\":\"u1\"", "{\"jobId\":\"job-1\",\"resource\":{\"a\":\"x\u0001\"}}", "not json"}) {
      assertThatThrownBy(() -> SourceChange.from(event(EventType.SOURCE_USER_UPSERTED, json))).as(json).isInstanceOf(RejectedChange.class);
    }
  }

  @Test
  void anything_binding_might_read_otherwise_is_bound_at_once() {
    // A number where the job is a string: binding coerces it, so the envelope leaves it to binding.
    SourceChange coerced = SourceChange.from(event(EventType.SOURCE_USER_DELETED, "{\"resourceId\":\"u1\",\"sourceVersion\":1,\"jobId\":42}"));
    assertThat(coerced.jobId()).isEqualTo("42");
    assertThat(SourceChange.envelope(EventType.SOURCE_USER_DELETED, "{\"resourceId\":\"u1\",\"jobId\":42}")).isNull();
    assertThat(SourceChange.envelope(EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, "{\"groupId\":\"g\",\"added\":{},\"jobId\":\"j\"}")).isNull();
    assertThat(SourceChange.envelope(EventType.SOURCE_SYNC_JOB_COMPLETED, "{\"jobId\":\"j\"}")).isNull();
  }

  private static EventType typeOf(Object data) {
    if (data instanceof UserUpserted) {
      return EventType.SOURCE_USER_UPSERTED;
    } else if (data instanceof UserDeleted) {
      return EventType.SOURCE_USER_DELETED;
    } else if (data instanceof GroupUpserted) {
      return EventType.SOURCE_GROUP_UPSERTED;
    } else if (data instanceof GroupDeleted) {
      return EventType.SOURCE_GROUP_DELETED;
    }
    return EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED;
  }

  private static DsyncEvent event(EventType type, String json) {
    return new DsyncEvent(UUID.randomUUID().toString(), "/test", type.type(), T, null, "t", "d", json.getBytes(StandardCharsets.UTF_8));
  }
}
