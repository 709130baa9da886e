// The explorer's static files (rpc/explorer/), built into the binary
// (rpc/explorer/embed.cmake) and served by the HTTP gateway on GET.
#pragma once

#include <span>
#include <string_view>

namespace cairn::rpc {

struct StaticAsset {
  std::string_view path;          // "/index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

std::span<const StaticAsset> ExplorerAssets();

}  // namespace cairn::rpc
