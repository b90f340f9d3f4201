#include "pipelines/id_table.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace trawl {
namespace {

TEST(IdTableTest, StringsComeBackInOrder) {
  IdTable::Builder builder;
  builder.Add("MED-10");
  builder.Add("");  // an empty id is stored as such
  builder.Add("doc-000123");
  builder.Add("naïve");
  IdTable ids = std::move(builder).Build();
  ASSERT_EQ(ids.size(), 4);
  EXPECT_FALSE(ids.row_numbers());
  EXPECT_EQ(ids.Get(0), "MED-10");
  EXPECT_EQ(ids.Get(1), "");
  EXPECT_EQ(ids.Get(2), "doc-000123");
  EXPECT_EQ(ids.Get(3), "naïve");
}

TEST(IdTableTest, RowNumbersStoreNothingAndPrintDecimal) {
  IdTable rows = IdTable::RowNumbers(100);
  EXPECT_TRUE(rows.row_numbers());
  EXPECT_EQ(rows.size(), 100);
  EXPECT_EQ(rows.Get(0), "0");
  EXPECT_EQ(rows.Get(99), "99");
}

TEST(IdTableTest, CopiesShareOneTable) {
  IdTable a = IdTable::Of({"x", "y"});
  IdTable b = a;
  EXPECT_TRUE(a.SameRows(b));
  EXPECT_FALSE(a.SameRows(IdTable::Of({"x", "y"})));  // equal strings, another collection
  EXPECT_TRUE(IdTable::RowNumbers(3).SameRows(IdTable::RowNumbers(3)));
  EXPECT_FALSE(IdTable::RowNumbers(3).SameRows(IdTable::RowNumbers(4)));
}

TEST(IdTableTest, MillionsOfIdsTakeTheirCharactersPlusOneOffsetEach) {
  // 8.8M MS MARCO passage ids are "0".."8841822": check the layout's cost on 1M of them.
  IdTable::Builder builder;
  int64_t chars = 0;
  for (int i = 0; i < 1000000; ++i) {
    const std::string id = std::to_string(7841823 + i);
    chars += id.size();
    builder.Add(id);
  }
  IdTable ids = std::move(builder).Build();
  EXPECT_EQ(ids.size(), 1000000);
  EXPECT_EQ(ids.Get(999999), "8841822");
  EXPECT_EQ(ids.memory_bytes(), chars + 1000000 * 8);
}

}  // namespace
}  // namespace trawl
