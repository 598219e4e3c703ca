#pragma once

// SQL that more than one repository writes the same way, as string-literal macros so that
// statements stay compile-time constants.

/// A client link (`client_contacts`, alias `a`) in force today: begun and not ended. A link
/// that ended or has not begun is a former or future company: listed with its dates, but not
/// read as where the contact works (contact search, insights, a client's contact count).
#define CRM_LINK_IN_FORCE(a)                                                                        \
    "(" a ".start_date IS NULL OR " a ".start_date <= current_date)"                               \
    " AND (" a ".end_date IS NULL OR " a ".end_date >= current_date)"
