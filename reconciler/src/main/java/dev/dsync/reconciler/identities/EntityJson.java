package dev.dsync.reconciler.identities;

/**
 * An entity's JSON as the events last wrote it, with the values it was written from. A group's
 * JSON went into the membership event of each of its members, and a user's into one for each of
 * its groups: a page adding 50 members to a group built the group's 50 times.
 */
final class EntityJson {

  private final Object[] from;
  final byte[] bytes;

  EntityJson(Object[] from, byte[] bytes) {
    this.from = from;
    this.bytes = bytes;
  }

  /**
   * Whether it was written from these very values. Compared by reference: the pipeline replaces an
   * entity's attribute text, resource or state with new objects when it changes them, never
   * mutating them, so a field that holds the same object holds the same value.
   */
  boolean writtenFrom(Object[] now) {
    if (now.length != from.length) {
      return false;
    }
    for (int i = 0; i < now.length; i++) {
      if (now[i] != from[i]) {
        return false;
      }
    }
    return true;
  }
}
