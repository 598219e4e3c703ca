#include "contacts/routes.hpp"

#include "contacts/rules.hpp"
#include "core/pagination.hpp"
#include "core/validation.hpp"

namespace crm::contacts {
namespace {

using core::Permission;
using http::Access;
using http::Request;
using http::Response;
using http::Status;
using nlohmann::json;

std::string location(const std::string& path) {
    return "/api/v1" + path;
}

// ?allow_duplicate=true creates a contact even when its e-mail or phone is already known.
bool allowDuplicate(const Request& request) {
    const auto value = request.query.get("allow_duplicate");
    if (!value || *value == "false") {
        return false;
    }
    if (*value == "true") {
        return true;
    }
    throw core::AppError::invalidField("allow_duplicate", "must be true or false");
}

// A parameter that must be one of `allowed`; a bad one is added to `errors`, to be reported
// with the list's other parameters.
std::optional<std::string> oneOf(const Request& request, const char* name,
                                 const std::vector<std::string>& allowed, core::FieldErrors& errors) {
    // An empty value is refused like any other that is not a choice, as the clients' and users'
    // lists refuse `status=` and `role=`: a blank filter would silently return everything.
    const auto value = request.query.single(name);
    if (!value) {
        return std::nullopt;
    }
    if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
        std::string list;
        for (const auto& option : allowed) {
            list += (list.empty() ? "" : ", ") + option;
        }
        errors.add(name, "must be one of " + list);
        return std::nullopt;
    }
    return value;
}

// A contact with its profiles as response text (see appendJson: no JSON tree on hot paths).
Response contactResponse(int status, const repo::ContactDetail& detail,
                         const std::optional<json>& warnings = std::nullopt) {
    return Response::text(status, jsonText(detail, warnings), "application/json")
        .etag(detail.contact.version);
}

// The links carry the contact's ETag: replacing them is a change to the contact.
Response relationshipsResponse(const ContactService::Relationships& relationships) {
    auto items = json::array();
    for (const auto& link : relationships.links) {
        items.push_back(toJson(link));
    }
    return Response::json(Status::Ok, {{"data", items}}).etag(relationships.contact_version);
}

Response listResponse(const ContactService::ListResult& result, const ContactListQuery& query) {
    static const std::vector<repo::SalesProfileRecord> kNoSales;
    static const std::vector<repo::CandidateProfileRecord> kNoCandidates;
    std::string body;
    body.reserve(1024 + result.items.size() * (result.profiles ? 2600 : 1100));
    body += "{\"data\":[";
    for (std::size_t i = 0; i < result.items.size(); ++i) {
        const auto& contact = result.items[i];
        if (i > 0) {
            body.push_back(',');
        }
        if (result.profiles) {
            // Profiles of the whole page came in one query; here they are only distributed.
            const auto sales = result.profiles->sales.find(contact.id);
            const auto candidates = result.profiles->candidates.find(contact.id);
            appendJson(body, contact, sales == result.profiles->sales.end() ? kNoSales : sales->second,
                       candidates == result.profiles->candidates.end() ? kNoCandidates : candidates->second);
        } else {
            appendJson(body, contact);
        }
    }
    body += "],\"page\":";
    body += core::pageJson(json::array(), query.request.limit, result.next_cursor, result.total)
                .at("page")
                .dump();
    body.push_back('}');
    return Response::text(static_cast<int>(Status::Ok), std::move(body), "application/json");
}

json insightsJson(const repo::InsightPage& page, int limit, std::string_view list,
                  const std::string& cursor_name) {
    auto items = json::array();
    for (const auto& row : page.items) {
        items.push_back(insightJson(row));
    }
    std::optional<std::string> next;
    if (page.next_keys) {
        next = core::encodeCursor(list, cursor_name, *page.next_keys);
    }
    return core::pageJson(std::move(items), limit, next);
}

}  // namespace

void registerRoutes(http::Router& router, ContactService& contacts) {
    // Contacts ----------------------------------------------------------------------------
    router.get("/api/contacts", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   const auto query = parseContactListQuery(request.query, request.listKey(),
                                                              contacts.settings().default_phone_region);
                   return listResponse(contacts.list(request.actor(), query), query);
               }).query_params.reset();
    router.post("/api/contacts", Access::require(Permission::ContactsWrite),
                [&contacts](Request& request) {
                    const auto allow = allowDuplicate(request);
                    const auto input = CreateContactDto::fromJson(
                        request.json(), contacts.settings().default_phone_region);
                    const auto created = contacts.create(request.actor(), input, allow, request.meta());
                    return contactResponse(static_cast<int>(Status::Created), created.detail, created.warnings)
                        .header("Location", location("/contacts/" + created.detail.contact.id));
                }).query_params = {"allow_duplicate"};
    router.get("/api/contacts/{id}", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   return contactResponse(200, contacts.get(request.actor(), request.pathId()));
               });
    router.put("/api/contacts/{id}", Access::require(Permission::ContactsWrite),
               [&contacts](Request& request) {
                   const auto allow = allowDuplicate(request);
                   const auto id = request.pathId();
                   const auto input = UpdateContactDto::fromJson(
                       core::requireObject(request.json()), contacts.settings().default_phone_region);
                   return contactResponse(200, contacts.update(request.actor(), id, input, allow,
                                                               request.ifMatchVersion(), request.meta()));
               }).query_params = {"allow_duplicate"};
    router.del("/api/contacts/{id}", Access::require(Permission::ContactsDelete),
               [&contacts](Request& request) {
                   // The version the delete left: what a conditional restore names.
                   return Response::noContent().etag(contacts.remove(request.actor(), request.pathId(),
                                                                     request.ifMatchVersion(), request.meta()));
               });
    // Restore and make-primary take no body: one sent along, of any media type, is ignored.
    auto& restore = router.post("/api/contacts/{id}/restore", Access::require(Permission::ContactsDelete),
                [&contacts](Request& request) {
                    return contactResponse(200, contacts.restore(request.actor(), request.pathId(),
                                                                 allowDuplicate(request),
                                                                 request.ifMatchVersion(), request.meta()));
                });
    restore.query_params = {"allow_duplicate"};
    restore.body_types.clear();

    // Profiles ----------------------------------------------------------------------------
    router.get("/api/contacts/{id}/profiles", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   const auto detail = contacts.profiles(request.actor(), request.pathId());
                   auto body = profilesJson(detail.sales_profiles, detail.candidate_profiles);
                   body["contact_id"] = detail.contact.id;
                   return Response::json(Status::Ok, body);
               });
    router.post("/api/contacts/{id}/sales-profile", Access::require(Permission::SalesProfilesWrite),
                [&contacts](Request& request) {
                    const auto id = request.pathId();
                    const auto input = SalesProfileDto::fromJson(request.json(), true);
                    const auto profile = contacts.createSalesProfile(request.actor(), id, input, request.meta());
                    return Response::json(Status::Created, toJson(profile))
                        .etag(profile.version)
                        .header("Location", location("/contacts/" + id + "/sales-profile/" + profile.id));
                });
    router.get("/api/contacts/{id}/sales-profile/{profile_id}", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   const auto profile = contacts.salesProfile(request.actor(), request.pathId(),
                                                              request.pathId("profile_id"));
                   return Response::json(Status::Ok, toJson(profile)).etag(profile.version);
               });
    router.put("/api/contacts/{id}/sales-profile/{profile_id}",
               Access::require(Permission::SalesProfilesWrite), [&contacts](Request& request) {
                   const auto id = request.pathId();
                   const auto profile_id = request.pathId("profile_id");
                   const auto input = SalesProfileDto::fromJson(core::requireObject(request.json()), false);
                   const auto profile = contacts.updateSalesProfile(
                       request.actor(), id, profile_id, input, request.ifMatchVersion(), request.meta());
                   return Response::json(Status::Ok, toJson(profile)).etag(profile.version);
               });
    router.del("/api/contacts/{id}/sales-profile/{profile_id}",
               Access::require(Permission::SalesProfilesWrite), [&contacts](Request& request) {
                   return Response::noContent().etag(contacts.deleteSalesProfile(
                       request.actor(), request.pathId(), request.pathId("profile_id"),
                       request.ifMatchVersion(), request.meta()));
               });
    router.post("/api/contacts/{id}/sales-profile/{profile_id}/restore",
                Access::require(Permission::SalesProfilesWrite), [&contacts](Request& request) {
                    const auto profile = contacts.restoreSalesProfile(request.actor(), request.pathId(),
                                                                      request.pathId("profile_id"),
                                                                      request.ifMatchVersion(), request.meta());
                    return Response::json(Status::Ok, toJson(profile)).etag(profile.version);
                }).body_types.clear();
    router.post("/api/contacts/{id}/candidate-profile",
                Access::require(Permission::CandidateProfilesWrite), [&contacts](Request& request) {
                    const auto id = request.pathId();
                    const auto input = CandidateProfileDto::fromJson(request.json(), true);
                    const auto profile =
                        contacts.createCandidateProfile(request.actor(), id, input, request.meta());
                    return Response::json(Status::Created, toJson(profile))
                        .etag(profile.version)
                        .header("Location",
                                location("/contacts/" + id + "/candidate-profile/" + profile.id));
                });
    router.get("/api/contacts/{id}/candidate-profile/{profile_id}", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   const auto profile = contacts.candidateProfile(request.actor(), request.pathId(),
                                                                  request.pathId("profile_id"));
                   return Response::json(Status::Ok, toJson(profile)).etag(profile.version);
               });
    router.put("/api/contacts/{id}/candidate-profile/{profile_id}",
               Access::require(Permission::CandidateProfilesWrite), [&contacts](Request& request) {
                   const auto id = request.pathId();
                   const auto profile_id = request.pathId("profile_id");
                   const auto input =
                       CandidateProfileDto::fromJson(core::requireObject(request.json()), false);
                   const auto profile = contacts.updateCandidateProfile(
                       request.actor(), id, profile_id, input, request.ifMatchVersion(), request.meta());
                   return Response::json(Status::Ok, toJson(profile)).etag(profile.version);
               });
    router.del("/api/contacts/{id}/candidate-profile/{profile_id}",
               Access::require(Permission::CandidateProfilesWrite), [&contacts](Request& request) {
                   return Response::noContent().etag(contacts.deleteCandidateProfile(
                       request.actor(), request.pathId(), request.pathId("profile_id"),
                       request.ifMatchVersion(), request.meta()));
               });
    router.post("/api/contacts/{id}/candidate-profile/{profile_id}/restore",
                Access::require(Permission::CandidateProfilesWrite), [&contacts](Request& request) {
                    const auto profile = contacts.restoreCandidateProfile(
                        request.actor(), request.pathId(), request.pathId("profile_id"),
                        request.ifMatchVersion(), request.meta());
                    return Response::json(Status::Ok, toJson(profile)).etag(profile.version);
                }).body_types.clear();
    // The profile's kind is only known once it is found: the service then asks for that
    // kind's write permission.
    router.post("/api/contacts/{id}/profiles/{profile_id}/make-primary",
                Access::require(Permission::ContactsWrite), [&contacts](Request& request) {
                    const auto result = contacts.makePrimary(request.actor(), request.pathId(),
                                                             request.pathId("profile_id"),
                                                             request.ifMatchVersion(), request.meta());
                    return Response::json(Status::Ok, result.body).etag(result.version);
                }).body_types.clear();

    // Client relationships ----------------------------------------------------------------
    router.get("/api/contacts/{id}/client-relationships", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   return relationshipsResponse(contacts.relationships(request.actor(), request.pathId()));
               });
    router.put("/api/contacts/{id}/client-relationships", Access::require(Permission::ContactsWrite),
               [&contacts](Request& request) {
                   const auto id = request.pathId();
                   const auto input = ClientRelationshipsDto::fromJson(core::requireObject(request.json()));
                   const auto if_match = request.ifMatchVersion();
                   return relationshipsResponse(
                       contacts.replaceRelationships(request.actor(), id, input, if_match, request.meta()));
               });

    // History, summary, insights ----------------------------------------------------------
    router.get("/api/contacts/{id}/history", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   const auto id = request.pathId();
                   core::FieldErrors errors;
                   const auto type = oneOf(request, "profile_type", {"contact", "sales", "candidate"}, errors);
                   const auto page = parseSimplePage(request.query, request.listKey(), "-changed_at", 2,
                                                     {"limit", "cursor", "sort", "with_total", "profile_type"},
                                                     errors);
                   const auto result = contacts.history(request.actor(), id, type, page);
                   auto items = json::array();
                   for (const auto& entry : result.page.items) {
                       items.push_back(toJson(entry));
                   }
                   std::optional<std::string> next;
                   if (result.page.next_keys) {
                       next = core::encodeCursor(request.listKey(), "-changed_at", *result.page.next_keys);
                   }
                   return Response::json(Status::Ok,
                                         core::pageJson(std::move(items), page.limit, next, result.total));
               }).query_params.reset();
    router.get("/api/contacts/{id}/summary", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   return Response::json(Status::Ok, contacts.summary(request.actor(), request.pathId()));
               });
    router.get("/api/contacts/{id}/insights", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   const auto id = request.pathId();
                   core::FieldErrors errors;
                   const auto type = oneOf(request, "type", insightTypes(), errors);
                   const auto page =
                       parseSimplePage(request.query, request.listKey(), "insights", 3, {"limit", "cursor", "type"}, errors);
                   const auto result = contacts.insights(request.actor(), id, type, page);
                   return Response::json(Status::Ok, insightsJson(result, page.limit, request.listKey(), "insights"));
               }).query_params.reset();
    router.get("/api/insights/cross-profile", Access::require(Permission::ContactsRead),
               [&contacts](Request& request) {
                   core::FieldErrors errors;
                   const auto type = oneOf(request, "type", insightTypes(), errors);
                   const auto page =
                       parseSimplePage(request.query, request.listKey(), "insights", 3, {"limit", "cursor", "type"}, errors);
                   const auto result = contacts.insights(request.actor(), std::nullopt, type, page);
                   return Response::json(Status::Ok, insightsJson(result, page.limit, request.listKey(), "insights"));
               }).query_params.reset();

    // Merge -------------------------------------------------------------------------------
    router.post("/api/contacts/{id}/merge", Access::require(Permission::ContactsMerge),
                [&contacts](Request& request) {
                    const auto id = request.pathId();
                    const auto input = MergeDto::fromJson(request.json());
                    return contactResponse(200, contacts.merge(request.actor(), id, input,
                                                               request.ifMatchVersion(), request.meta()));
                });
}

}  // namespace crm::contacts
