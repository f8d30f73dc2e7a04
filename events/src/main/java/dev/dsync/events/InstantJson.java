package dev.dsync.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.io.IOException;
import java.time.Instant;

/**
 * Reads the instants of event data ({@code sourceTime}, provenance times) in the UTC form every
 * dsync service writes without {@code DateTimeFormatter}, which cost the reconciler's source
 * consumer ~8 % of its CPU during a sync's staging. Every other form, and numbers, go to
 * jackson-datatype-jsr310's deserializer as before.
 */
final class InstantJson extends StdScalarDeserializer<Instant> {

  InstantJson() {
    super(Instant.class);
  }

  @Override
  public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      Instant fast = DsyncEvent.utc(p.getText());
      if (fast != null) {
        return fast;
      }
    }
    return InstantDeserializer.INSTANT.deserialize(p, ctxt);
  }
}
