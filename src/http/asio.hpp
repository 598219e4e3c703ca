// The one place Boost.Asio and Beast are included from.
#pragma once

// Boost 1.74's asio/impl/awaitable.hpp uses std::exchange without including <utility>, which
// GCC 12's standard headers no longer pull in transitively.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace crm::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
}  // namespace crm::http
