#include <gtest/gtest.h>

#include "gpoc/sla/measure.hpp"
