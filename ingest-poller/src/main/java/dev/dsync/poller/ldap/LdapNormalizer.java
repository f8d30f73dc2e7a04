package dev.dsync.poller.ldap;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Entry;
import dev.dsync.poller.source.Scim;
import java.util.Locale;
import java.util.Set;

/**
 * LDAP entries (inetOrgPerson, AD user, groupOfNames, AD group) to SCIM core + enterprise, with the
 * other user attributes kept in an LDAP extension. Secrets and server bookkeeping are never copied.
 */
final class LdapNormalizer {

  static final String USER_EXTENSION = "urn:dsync:params:scim:schemas:extension:ldap:2.0:User";
  static final String GROUP_EXTENSION = "urn:dsync:params:scim:schemas:extension:ldap:2.0:Group";

  private static final Set<String> NEVER = Set.of("userpassword", "unicodepwd", "ntpwdhistory", "lmpwdhistory", "supplementalcredentials",
      "dbcspwd", "entryuuid", "objectguid", "modifytimestamp", "createtimestamp", "usnchanged", "usncreated", "whenchanged", "whencreated",
      "creatorsname", "modifiersname", "entrydn", "subschemasubentry", "hassubordinates", "member", "uniquemember", "memberof",
      "dscorepropagationdata", "lastlogon", "lastlogontimestamp", "logoncount", "badpwdcount", "badpasswordtime", "pwdlastset");
  private static final Set<String> USER_MAPPED = Set.of("uid", "samaccountname", "userprincipalname", "givenname", "sn", "cn", "displayname",
      "mail", "telephonenumber", "mobile", "title", "employeenumber", "departmentnumber", "department", "o", "company", "preferredlanguage",
      "useraccountcontrol");
  private static final Set<String> GROUP_MAPPED = Set.of("cn");

  private LdapNormalizer() {}

  static ObjectNode user(String id, Entry e, String userNameAttribute) {
    ObjectNode u = Scim.user(id);
    put(u, "userName", e.getAttributeValue(userNameAttribute));
    String given = e.getAttributeValue("givenName");
    String family = e.getAttributeValue("sn");
    if (given != null || family != null) {
      ObjectNode name = u.putObject("name");
      put(name, "givenName", given);
      put(name, "familyName", family);
    }
    put(u, "displayName", e.hasAttribute("displayName") ? e.getAttributeValue("displayName") : e.getAttributeValue("cn"));
    put(u, "title", e.getAttributeValue("title"));
    put(u, "preferredLanguage", e.getAttributeValue("preferredLanguage"));
    String uac = e.getAttributeValue("userAccountControl");
    // AD: bit 0x2 is ACCOUNTDISABLE; plain LDAP has no standard flag, so its users are active.
    u.put("active", uac == null || (Long.parseLong(uac) & 2) == 0);
    String[] mails = e.getAttributeValues("mail");
    if (mails != null && mails.length > 0) {
      ArrayNode emails = u.putArray("emails");
      for (int i = 0; i < mails.length; i++) {
        ObjectNode m = emails.addObject().put("value", mails[i]).put("type", "work");
        if (i == 0) {
          m.put("primary", true);
        }
      }
    }
    ArrayNode phones = null;
    for (String[] p : new String[][] {{"telephoneNumber", "work"}, {"mobile", "mobile"}}) {
      String[] values = e.getAttributeValues(p[0]);
      if (values != null) {
        for (String v : values) {
          if (phones == null) {
            phones = u.putArray("phoneNumbers");
          }
          phones.addObject().put("value", v).put("type", p[1]);
        }
      }
    }
    String dept = e.hasAttribute("department") ? e.getAttributeValue("department") : e.getAttributeValue("departmentNumber");
    String org = e.hasAttribute("company") ? e.getAttributeValue("company") : e.getAttributeValue("o");
    String number = e.getAttributeValue("employeeNumber");
    if (dept != null || org != null || number != null) {
      ObjectNode ent = Scim.extension(u, Scim.ENTERPRISE);
      put(ent, "department", dept);
      put(ent, "organization", org);
      put(ent, "employeeNumber", number);
    }
    keepRest(e, u, USER_MAPPED, USER_EXTENSION);
    return Scim.prune(u);
  }

  static ObjectNode group(String id, Entry e) {
    ObjectNode g = Scim.group(id);
    put(g, "displayName", e.getAttributeValue("cn"));
    keepRest(e, g, GROUP_MAPPED, GROUP_EXTENSION);
    return Scim.prune(g);
  }

  private static void keepRest(Entry e, ObjectNode resource, Set<String> mapped, String urn) {
    ObjectNode ext = Scim.extension(resource, urn);
    ext.put("dn", e.getDN());
    for (Attribute a : e.getAttributes()) {
      String name = a.getBaseName().toLowerCase(Locale.ROOT);
      if (NEVER.contains(name) || mapped.contains(name) || name.equals("objectclass")) {
        continue;
      }
      String[] values = a.getValues();
      if (values.length == 1) {
        ext.put(a.getBaseName(), values[0]);
      } else {
        ArrayNode arr = ext.putArray(a.getBaseName());
        for (String v : values) {
          arr.add(v);
        }
      }
    }
  }

  private static void put(ObjectNode n, String field, String value) {
    if (value != null) {
      n.put(field, value);
    }
  }
}
