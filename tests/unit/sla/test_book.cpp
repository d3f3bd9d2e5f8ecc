#include <gtest/gtest.h>

#include "gpoc/sla/book.hpp"
