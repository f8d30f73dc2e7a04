package dev.dsync.scim.groups;

import com.unboundid.scim2.common.filters.Filter;
import com.unboundid.scim2.common.filters.FilterType;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.scim.filter.FilterTranslator;
import dev.dsync.scim.filter.SqlWhere;
import dev.dsync.scim.groups.GroupService.Member;
import dev.dsync.scim.groups.GroupService.MemberOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The member-row part of a one-statement member PATCH (see GroupService#memberChange): a
 * data-modifying statement over the CTE {@code locked l} (the group's locked row) that returns
 * the member rows it changed, and the membership event's payload filled in from them.
 */
final class MemberStatement {

  private final String sql;
  private final String eventField;
  private final String order;

  private MemberStatement(String sql, String eventField, String order) {
    this.sql = sql;
    this.eventField = eventField;
    this.order = order;
  }

  /**
   * Whether {@code ops} can be one statement: they only add members, or only remove them, and
   * change at most {@link GroupMembershipChanged#MAX_MEMBERS_PER_EVENT} members, as the statement
   * writes one event. So each op names its members or removes one by {@code value eq} (Entra ID's
   * way), with at most {@link GroupMembershipChanged#MAX_MEMBER_BYTES_PER_EVENT} of member values; a
   * removal of every member or by a wider filter takes the general path, which splits its event.
   */
  static boolean applies(List<MemberOp> ops) {
    if (ops.isEmpty()) {
      return false;
    }
    String kind = ops.get(0).kind();
    if (!(kind.equals("add") || kind.equals("remove")) || !ops.stream().allMatch(o -> o.kind().equals(kind))) {
      return false;
    }
    long members = 0;
    long bytes = 0;
    for (MemberOp op : ops) {
      if (op.filter() != null) {
        if (!isValueEq(op.filter())) {
          return false;
        }
        members++;
        bytes += GroupMembershipChanged.estimatedBytes(String.valueOf(op.filter().getComparisonValue()), null);
      } else if (op.values().isEmpty()) {
        return false;
      } else {
        members += op.values().size();
        for (Member m : op.values()) {
          bytes += GroupMembershipChanged.estimatedBytes(m.value(), m.type());
        }
      }
    }
    // The statement builds the event in SQL, out of reach of the outbox's size check: bound it here.
    return members <= GroupMembershipChanged.MAX_MEMBERS_PER_EVENT && bytes <= GroupMembershipChanged.MAX_MEMBER_BYTES_PER_EVENT;
  }

  /** {@code value eq "..."}: selects at most one member row (a member is in a group once). */
  private static boolean isValueEq(Filter f) {
    return f.getFilterType() == FilterType.EQUAL && f.getAttributePath() != null && f.getAttributePath().size() == 1
        && f.getAttributePath().getElement(0).getAttribute().equalsIgnoreCase("value");
  }

  /** The statement for {@code ops}; its parameters are appended to {@code params}. */
  static MemberStatement of(List<MemberOp> ops, List<Object> params) {
    if (ops.get(0).kind().equals("add")) {
      Map<String, Member> members = new LinkedHashMap<>();
      ops.forEach(op -> op.values().forEach(m -> members.putIfAbsent(m.value(), m)));
      int first = params.size() + 1;
      params.add(members.values().stream().map(Member::value).toArray(String[]::new));
      params.add(members.values().stream().map(Member::type).toArray(String[]::new));
      params.add(members.values().stream().map(Member::display).toArray(String[]::new));
      String values = "$" + first + "::text[]";
      return new MemberStatement(
          "insert into scim_group_member (group_id, member_id, member_type, display)"
              + " select l.id, x.v, x.t, x.d from locked l, unnest(" + values + ", $" + (first + 1) + "::text[], $" + (first + 2) + "::text[])"
              + " with ordinality as x(v, t, d, n) order by x.n"
              + " on conflict (group_id, member_id) do nothing returning member_id, member_type",
          "added",
          "array_position(" + values + ", c.member_id)");
    }
    List<String> conditions = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (MemberOp op : ops) {
      if (op.filter() != null) {
        SqlWhere w = FilterTranslator.translateMembers(op.filter(), params.size() + 1);
        params.addAll(w.params());
        conditions.add(w.sql());
      } else {
        op.values().forEach(m -> values.add(m.value()));
      }
    }
    if (!values.isEmpty()) {
      params.add(values.toArray(String[]::new));
      conditions.add("m.member_id = any($" + params.size() + "::text[])");
    }
    return new MemberStatement(
        "delete from scim_group_member m using locked l where m.group_id = l.id and (" + String.join(" or ", conditions) + ")"
            + " returning m.member_id, m.member_type",
        "removed",
        "c.member_id");
  }

  String sql() {
    return sql;
  }

  /**
   * The event's payload as text: {@code payload} (a GroupMembershipChanged with sourceVersion 0 and no
   * members) with {@code version} as its sourceVersion and the changed rows as its added or
   * removed members, each {@code {"value", "type"}} as MemberRef is written.
   */
  String eventPayload(String payload, String version) {
    return "cast(jsonb_set(jsonb_set(cast(" + payload + " as jsonb), '{sourceVersion}', to_jsonb(" + version + ")), '{" + eventField + "}',"
        + " coalesce((select jsonb_agg(jsonb_build_object('value', c.member_id, 'type', c.member_type) order by " + order + ") from changed c), '[]'::jsonb)) as text)";
  }
}
