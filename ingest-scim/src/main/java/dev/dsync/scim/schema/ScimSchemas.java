package dev.dsync.scim.schema;

import static dev.dsync.scim.schema.AttributeDef.bool;
import static dev.dsync.scim.schema.AttributeDef.complex;
import static dev.dsync.scim.schema.AttributeDef.exact;
import static dev.dsync.scim.schema.AttributeDef.string;

import dev.dsync.scim.schema.AttributeDef.Type;
import java.util.List;

/** The User and Group schemas this service provider supports (RFC 7643 §4, §8.7.1). */
public final class ScimSchemas {

  public static final String USER = "urn:ietf:params:scim:schemas:core:2.0:User";
  public static final String GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
  public static final String ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  public static final String LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
  public static final String PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

  private static final AttributeDef[] MULTI_VALUE_SUBS = {
    string("value"), string("display"), string("type"), bool("primary")
  };

  public static final ResourceSchema USERS =
      new ResourceSchema(
          "User",
          "/Users",
          USER,
          "User",
          List.of(
              string("userName").requiredServer(),
              complex(
                  "name",
                  false,
                  string("formatted"),
                  string("familyName"),
                  string("givenName"),
                  string("middleName"),
                  string("honorificPrefix"),
                  string("honorificSuffix")),
              string("displayName"),
              string("nickName"),
              // Write-only and never stored: dsync does not sync passwords (Okta sends a placeholder).
              new AttributeDef("password", Type.STRING, false, true, AttributeDef.Mutability.WRITE_ONLY, false, "none", List.of()),
              string("profileUrl").ofType(Type.REFERENCE),
              string("title"),
              string("userType"),
              string("preferredLanguage"),
              string("locale"),
              string("timezone"),
              bool("active"),
              complex("emails", true, MULTI_VALUE_SUBS),
              complex("phoneNumbers", true, MULTI_VALUE_SUBS),
              complex("ims", true, MULTI_VALUE_SUBS),
              complex("photos", true, string("value").ofType(Type.REFERENCE), string("display"), string("type"), bool("primary")),
              complex(
                  "addresses",
                  true,
                  string("formatted"),
                  string("streetAddress"),
                  string("locality"),
                  string("region"),
                  string("postalCode"),
                  string("country"),
                  string("type"),
                  bool("primary")),
              complex("groups", true, exact("value"), string("$ref").ofType(Type.REFERENCE), string("display"), string("type")).readOnly(),
              complex("entitlements", true, MULTI_VALUE_SUBS),
              complex("roles", true, MULTI_VALUE_SUBS),
              exact("externalId")),
          ResourceSchema.index(
              new ResourceSchema.Extension(
                  ENTERPRISE_USER,
                  "EnterpriseUser",
                  List.of(
                      string("employeeNumber"),
                      string("costCenter"),
                      string("organization"),
                      string("division"),
                      string("department"),
                      complex("manager", false, exact("value"), string("$ref").ofType(Type.REFERENCE), string("displayName").readOnly())))));

  public static final ResourceSchema GROUPS =
      new ResourceSchema(
          "Group",
          "/Groups",
          GROUP,
          "Group",
          List.of(
              string("displayName").requiredServer(),
              complex("members", true, exact("value"), string("$ref").ofType(Type.REFERENCE), string("display"), string("type")),
              exact("externalId")),
          ResourceSchema.index());

  private ScimSchemas() {}
}
