package dev.dsync.poller.connections;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Request and response bodies of the connections admin API. */
public final class ConnectionViews {

  private ConnectionViews() {}

  /** When a connection runs: incremental every N minutes, complete daily at HH:mm UTC. */
  public record Schedule(
      @Min(1) @Max(10080) Integer incrementalMinutes,
      @Pattern(regexp = "([01]\\d|2[0-3]):[0-5]\\d", message = "must be HH:mm (UTC)") String completeDailyAt) {}

  /** Body of POST /api/v1/connections. {@code credentials} is write-only. */
  public record NewConnection(
      @NotBlank @Size(max = 200) String name,
      @NotBlank String type,
      @NotNull ObjectNode settings,
      ObjectNode scope,
      ObjectNode credentials,
      @Valid Schedule schedule) {

    @Override
    public String toString() {
      return "NewConnection[name=" + name + ", type=" + type + "]";
    }
  }

  /** Body of PATCH /api/v1/connections/{id}; absent fields stay. New credentials replace the old ones whole. */
  public record ConnectionChange(
      @Size(min = 1, max = 200) String name,
      ObjectNode settings,
      ObjectNode scope,
      ObjectNode credentials,
      @Valid Schedule schedule,
      @Pattern(regexp = "ACTIVE|PAUSED", message = "must be ACTIVE or PAUSED") String state) {

    @Override
    public String toString() {
      return "ConnectionChange[name=" + name + ", state=" + state + "]";
    }
  }

  /** A connection as the API shows it: which credential fields are set, never their values. */
  public record ConnectionView(
      UUID id,
      String name,
      String type,
      ObjectNode settings,
      ObjectNode scope,
      Schedule schedule,
      String state,
      String stateReason,
      List<String> credentialFields,
      OffsetDateTime lastSyncAt,
      OffsetDateTime nextIncrementalAt,
      OffsetDateTime nextCompleteAt,
      OffsetDateTime createdAt,
      OffsetDateTime updatedAt) {}

  /** A sync job as the API shows it. */
  public record JobView(
      UUID id,
      UUID connectionId,
      String mode,
      String status,
      String phase,
      String trigger,
      Map<String, Long> counters,
      String reason,
      OffsetDateTime createdAt,
      OffsetDateTime startedAt,
      OffsetDateTime finishedAt) {}
}
