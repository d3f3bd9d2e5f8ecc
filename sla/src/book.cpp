#include "gpoc/sla/book.hpp"
