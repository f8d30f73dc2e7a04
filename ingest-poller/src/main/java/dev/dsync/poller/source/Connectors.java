package dev.dsync.poller.source;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** The connectors this build has, by connection type. */
@ApplicationScoped
public class Connectors {

  private final Map<ConnectionType, Connector> byType = new EnumMap<>(ConnectionType.class);

  public Connectors(Instance<Connector> all) {
    all.forEach(c -> byType.put(c.type(), c));
  }

  public Optional<Connector> of(ConnectionType type) {
    return Optional.ofNullable(byType.get(type));
  }

  public Connector require(ConnectionType type) {
    return of(type).orElseThrow(() -> SourceException.rejected("no connector for " + type.wire() + " in this build"));
  }

  /** Wire names of the types that have a connector. */
  public java.util.List<String> available() {
    return byType.keySet().stream().map(ConnectionType::wire).sorted().toList();
  }
}
