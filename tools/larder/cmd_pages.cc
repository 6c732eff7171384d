// Page-level commands: pages, page, page-item, dump (bbolt's formats). They read the file
// directly (read-only, shared lock) and check every offset against the page they read, so a
// damaged page gives an error line, never a crash.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bolt/freelist.h"
#include "common.h"
#include "format.h"
#include "raw_file.h"

namespace larder::cli {
namespace {

using bolt::PageView;
using bolt::Pgid;

const char kSeparator[] = "===============================================\n";  // 47 '='

struct PageArgs {
  std::string file;
  std::string timeout = "5s";
  std::vector<std::string> ids;
  bool all = false;
  std::string format_value = "auto";
  bool key_only = false;
  bool value_only = false;
  std::string format = "auto";
};

Result<std::vector<Pgid>> ParseIds(const std::vector<std::string>& args) {
  std::vector<Pgid> ids;
  for (const std::string& a : args) {
    std::size_t used = 0;
    Pgid id = 0;
    try {
      if (a.empty() || a[0] == '-' || a[0] == '+') throw std::invalid_argument(a);
      id = std::stoull(a, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != a.size() || a.empty()) {
      return Status::InvalidArgument(fmt::format("invalid page id {:?}", a));
    }
    ids.push_back(id);
  }
  return ids;
}

// bbolt prints keys as %q when printable, else as hex.
std::string KeyText(std::string_view key) {
  return IsPrintableUtf8(key) ? GoQuote(key) : HexEncode(key);
}

int RunPages(const PageArgs& a) {
  auto raw = RawFile::Open(a.file, a.timeout);
  if (!raw.ok()) return Fail(raw.status());
  const RawFile& f = **raw;
  const int active = f.active_meta();
  if (active < 0) return Fail("neither meta page is valid");
  auto free = f.FreePages();
  if (!free.ok()) return Fail(free.status());
  const Pgid hwm = f.meta(active).pgid;
  std::string out = "ID       TYPE       ITEMS  OVRFLW\n======== ========== ====== ======\n";
  for (Pgid id = 0; id < hwm; ++id) {
    auto page = f.ReadPage(id, false);
    if (!page.ok()) {
      WriteOut(out);
      return Fail(page.status());
    }
    const PageView p(page->data(), page->size());
    if (free->count(id) != 0) {
      out += fmt::format("{:<8} {:<10} {:<6} {:<6}\n", id, "free", "", "");
      continue;  // a free page's header is stale: do not skip what it calls overflow
    }
    const std::string overflow = p.overflow() > 0 ? std::to_string(p.overflow()) : "";
    out += fmt::format("{:<8} {:<10} {:<6} {:<6}\n", id, bolt::PageTypeName(p.flags()), p.count(),
                       overflow);
    id += p.overflow();
  }
  WriteOut(out);
  return kExitOk;
}

Status PrintMeta(const std::vector<std::uint8_t>& buf, std::string& out) {
  if (buf.size() < bolt::kPageHeaderSize + bolt::kMetaSize) {
    return Status::Corruption("meta page too small");
  }
  const bolt::Meta m = bolt::Meta::Decode(buf.data());
  out += fmt::format("Version:    {}\n", m.version);
  out += fmt::format("Page Size:  {} bytes\n", m.page_size);
  out += fmt::format("Flags:      {:08x}\n", m.flags);
  out += fmt::format("Root:       <pgid={}>\n", m.root.root);
  out += fmt::format("Freelist:   <pgid={}>\n", m.freelist);
  out += fmt::format("HWM:        <pgid={}>\n", m.pgid);
  out += fmt::format("Txn ID:     {}\n", m.txid);
  out += fmt::format("Checksum:   {:016x}\n", m.checksum);
  out += "\n";
  return Status::Ok();
}

Status PrintLeaf(const PageView& p, Pgid id, ByteFormat value_format, std::string& out) {
  LARDER_RETURN_IF_ERROR(p.CheckElements(fmt::format("page {}", id)));
  out += fmt::format("Item Count: {}\n\n", p.count());
  for (std::size_t i = 0; i < p.count(); ++i) {
    bolt::LeafElement e;
    if (!p.Leaf(i, &e)) {
      return Status::Corruption(
          fmt::format("page {}: leaf element {} lies outside the page", id, i));
    }
    std::string v;
    if (e.is_bucket()) {
      if (e.value.size() < bolt::kBucketHeaderSize) {
        return Status::Corruption(
            fmt::format("page {}: bucket value of element {} is too short", id, i));
      }
      const bolt::BucketHeader h = bolt::DecodeBucketHeader(e.value);
      v = fmt::format("<pgid={},seq={}>", h.root, h.sequence);
    } else {
      v = FormatBytes(e.value, value_format);
    }
    out += fmt::format("{}: {}\n", KeyText(e.key), v);
  }
  out += "\n";
  return Status::Ok();
}

Status PrintBranch(const PageView& p, Pgid id, std::string& out) {
  LARDER_RETURN_IF_ERROR(p.CheckElements(fmt::format("page {}", id)));
  out += fmt::format("Item Count: {}\n\n", p.count());
  for (std::size_t i = 0; i < p.count(); ++i) {
    bolt::BranchElement e;
    if (!p.Branch(i, &e)) {
      return Status::Corruption(
          fmt::format("page {}: branch element {} lies outside the page", id, i));
    }
    out += fmt::format("{}: <pgid={}>\n", KeyText(e.key), e.pgid);
  }
  out += "\n";
  return Status::Ok();
}

Status PrintFreelist(const PageView& p, Pgid id, std::string& out) {
  std::uint64_t count = p.count();
  std::size_t offset = bolt::kPageHeaderSize;
  if (count == bolt::kFreelistCountOverflow) {
    if (p.size() < offset + 8) return Status::Corruption(fmt::format("page {}: too small", id));
    count = LoadU64(p.data() + offset);
    offset += 8;
  }
  if (count > (p.size() - offset) / 8) {
    return Status::Corruption(
        fmt::format("page {}: freelist count {} does not fit in {} bytes", id, count, p.size()));
  }
  out += fmt::format("Item Count: {}\nOverflow: {}\n\n", count, p.overflow());
  for (std::uint64_t i = 0; i < count; ++i) {
    out += fmt::format("{}\n", LoadU64(p.data() + offset + i * 8));
  }
  out += "\n";
  return Status::Ok();
}

// Prints one page; `overflow` receives its overflow count (for --all).
Status PrintPage(const RawFile& f, Pgid id, ByteFormat value_format, std::uint32_t* overflow) {
  LARDER_ASSIGN_OR_RETURN(std::vector<std::uint8_t> buf, f.ReadPage(id, true));
  const PageView p(buf.data(), buf.size());
  *overflow = p.overflow();
  std::string out;
  out += fmt::format("Page ID:    {}\n", p.id());
  out += fmt::format("Page Type:  {}\n", bolt::PageTypeName(p.flags()));
  out += fmt::format("Total Size: {} bytes\n", buf.size());
  out += fmt::format("Overflow pages: {}\n", p.overflow());
  Status s;
  switch (p.flags()) {
    case bolt::kMetaPageFlag:
      s = PrintMeta(buf, out);
      break;
    case bolt::kLeafPageFlag:
      s = PrintLeaf(p, id, value_format, out);
      break;
    case bolt::kBranchPageFlag:
      s = PrintBranch(p, id, out);
      break;
    case bolt::kFreelistPageFlag:
      s = PrintFreelist(p, id, out);
      break;
    default:
      break;
  }
  WriteOut(out);
  return s;
}

int RunPage(const PageArgs& a, const CLI::App& sub) {
  auto ids = ParseIds(a.ids);
  if (!ids.ok()) return UsageError(sub, ids.status().message());
  if (a.all == !ids->empty()) {
    return UsageError(sub, a.all ? "--all takes no page ids" : "page id(s) required");
  }
  auto raw = RawFile::Open(a.file, a.timeout);
  if (!raw.ok()) return Fail(raw.status());
  const RawFile& f = **raw;
  const ByteFormat format = *ByteFormatFromName(a.format_value);
  std::uint32_t overflow = 0;
  if (a.all) {
    const int active = f.active_meta();
    const Pgid end = active >= 0 ? f.meta(active).pgid : f.page_count();
    for (Pgid id = 0; id < end; id += std::uint64_t{overflow} + 1) {
      if (id > 0) WriteOut(kSeparator);
      overflow = 0;
      Status s = PrintPage(f, id, format, &overflow);
      if (!s.ok()) return Fail(s);
    }
    return kExitOk;
  }
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (i > 0) WriteOut(kSeparator);
    Status s = PrintPage(f, (*ids)[i], format, &overflow);
    if (!s.ok()) return Fail(s);
  }
  return kExitOk;
}

int RunPageItem(const PageArgs& a, const CLI::App& sub) {
  if (a.key_only && a.value_only)
    return UsageError(sub, "--key-only and --value-only exclude each other");
  auto ids = ParseIds(a.ids);
  if (!ids.ok()) return UsageError(sub, ids.status().message());
  if (ids->size() != 2) return UsageError(sub, "a page id and an item id are required");
  auto raw = RawFile::Open(a.file, a.timeout);
  if (!raw.ok()) return Fail(raw.status());
  const Pgid id = (*ids)[0];
  const std::uint64_t item = (*ids)[1];
  auto buf = (*raw)->ReadPage(id, true);
  if (!buf.ok()) return Fail(buf.status());
  const PageView p(buf->data(), buf->size());
  if (!p.is_leaf()) {
    return Fail(
        fmt::format("page {}: not a leaf page (type {})", id, bolt::PageTypeName(p.flags())));
  }
  Status s = p.CheckElements(fmt::format("page {}", id));
  if (!s.ok()) return Fail(s);
  if (item >= p.count()) {
    return Fail(
        fmt::format("page {}: item {} out of range (the page has {} items)", id, item, p.count()));
  }
  bolt::LeafElement e;
  if (!p.Leaf(item, &e)) {
    return Fail(fmt::format("page {}: leaf element {} lies outside the page", id, item));
  }
  const ByteFormat format = *ByteFormatFromName(a.format);
  std::string out;
  if (!a.value_only) out += FormatBytes(e.key, format) + "\n";
  if (!a.key_only) out += FormatBytes(e.value, format) + "\n";
  WriteOut(out);
  return kExitOk;
}

void DumpPage(const std::vector<std::uint8_t>& buf, std::uint64_t addr, std::string& out) {
  constexpr std::size_t kLine = 16;
  bool skipped = false;
  for (std::size_t off = 0; off + kLine <= buf.size(); off += kLine) {
    const bool last = off + kLine == buf.size();
    const bool same = off > 0 && std::equal(buf.begin() + off, buf.begin() + off + kLine,
                                            buf.begin() + off - kLine);
    if (same && !last) {
      if (!skipped) out += fmt::format("{:07x} *\n", addr + off);
      skipped = true;
      continue;
    }
    out += fmt::format("{:07x}", addr + off);
    for (std::size_t g = 0; g < kLine; g += 2) {
      out += fmt::format(" {:02x}{:02x}", buf[off + g], buf[off + g + 1]);
    }
    out += "\n";
    skipped = false;
  }
  out += "\n";
}

int RunDump(const PageArgs& a, const CLI::App& sub) {
  auto ids = ParseIds(a.ids);
  if (!ids.ok()) return UsageError(sub, ids.status().message());
  if (ids->empty()) return UsageError(sub, "page id(s) required");
  auto raw = RawFile::Open(a.file, a.timeout);
  if (!raw.ok()) return Fail(raw.status());
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (i > 0) WriteOut(kSeparator);
    auto buf = (*raw)->ReadPage((*ids)[i], false);
    if (!buf.ok()) return Fail(buf.status());
    std::string out;
    DumpPage(*buf, (*ids)[i] * (*raw)->page_size(), out);
    WriteOut(out);
  }
  return kExitOk;
}

CLI::App* AddPageCommand(CLI::App& app, const char* name, const char* help, PageArgs* a) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("file", a->file, "Database file")->required();
  AddTimeoutOption(sub, &a->timeout);
  return sub;
}

}  // namespace

void RegisterPageCommands(CLI::App& app, Action& action) {
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub = AddPageCommand(app, "pages", "List the file's pages and their types", a.get());
    sub->callback([&action, a] { action = [a] { return RunPages(*a); }; });
  }
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub = AddPageCommand(app, "page", "Print the contents of pages", a.get());
    sub->add_option("ids", a->ids, "Page ids");
    sub->add_flag("--all", a->all, "Print every page");
    sub->add_option("--format-value", a->format_value,
                    "Leaf value format: auto|ascii-encoded|hex|bytes|redacted")
        ->check(CLI::IsMember(ByteFormatNames()))
        ->default_val("auto");
    sub->callback([&action, a, sub] { action = [a, sub] { return RunPage(*a, *sub); }; });
  }
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub =
        AddPageCommand(app, "page-item", "Print the key and value of a leaf page item", a.get());
    sub->add_option("page-and-item", a->ids, "Page id, then item index")->required();
    sub->add_flag("--key-only", a->key_only, "Print only the key");
    sub->add_flag("--value-only", a->value_only, "Print only the value");
    sub->add_option("--format,-f", a->format,
                    "Output format: auto|ascii-encoded|hex|bytes|redacted")
        ->check(CLI::IsMember(ByteFormatNames()))
        ->default_val("auto");
    sub->callback([&action, a, sub] { action = [a, sub] { return RunPageItem(*a, *sub); }; });
  }
  {
    auto a = std::make_shared<PageArgs>();
    CLI::App* sub = AddPageCommand(app, "dump", "Hexdump pages", a.get());
    sub->add_option("ids", a->ids, "Page ids")->required();
    sub->callback([&action, a, sub] { action = [a, sub] { return RunDump(*a, *sub); }; });
  }
}

}  // namespace larder::cli
