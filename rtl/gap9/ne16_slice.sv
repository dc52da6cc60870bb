// NE16-style engine slice: SIDE x SIDE output pixels (columns) x 9 blocks (3x3 taps) x LANES
// input channels of 1-bit x 8-bit products, bit-serial over the weight bits (2..8), with 32-bit
// wrapping accumulators and normalisation/quantisation.
//
// One job (start -> done) computes one output subtile of K channels over N_IN k_in subtiles:
//   repeat N_IN: LOAD (LAT + NPIX) -> WOFF (6, depthwise 6 + K) -> MV (6 + K*QW; 1x1: 6 + K)
//                -> UPDATE (2)
//   NQ_MUL (9 + ceil(K/4)) -> NQ_BIAS (8 + ceil(K/8), if bias) -> STREAMOUT (3 + COLS*BPP + 1)
// LAT = 10 (1x1) or 6; NPIX = (SIDE+2)^2 (3x3, depthwise) or SIDE^2 (1x1);
// BPP = ceil(K*OUT_BITS/256). NQ phases are skipped when norm_en = 0 (raw 32-bit outputs).
// The cycle model of sim/models/gap9/cycles.py predicts exactly these counts.
//
// Structure (what `sim rtl synth gap9` synthesizes is ne16_engine, module by module):
//   ne16_slice   the bench top: ne16_engine plus the x/w/p memories, which stand for the cluster
//                L1 (TCDM) that NE16's streamer reads; they are not part of the engine.
//   ne16_engine  control, the input window buffer (a shift register filled during LOAD), the
//                SIDE x SIDE columns, and streamout: packs one 256-bit beat per cycle.
//   ne16_column  one output pixel: 9 x LANES AND-and-add 1 x 8-bit products, the weight-offset
//                sum, and the K accumulators with their shared MV / scale / bias update logic,
//                including the normquant shifters (as in NE16, quantisation happens in the NQ
//                phases; streamout only packs the quantised accumulators).
//   ne16_quant   rounding shift, ReLU and clipping of one W-bit value.
// Normquant overflow follows the NE16 RTL (sim/models/gap9/arith.py NQ_OVERFLOW): without bias
// NQ_MUL shifts and clips the full 40-bit product; with bias NQ_MUL keeps the product's low 32
// bits and NQ_BIAS adds the bias mod 2^32, then shifts and clips.
// The weight offset (woff * sum of the window's inputs) is added to each channel together with
// its first weight bit in MV, rather than in WOFF: addition wraps mod 2^32, so the accumulators
// end the same, and one adder per column does what the WOFF phase would do for all K channels.
//
// Memories are written by the bench before `start` (not counted):
//   x memory  : word = one input pixel, LANES bytes (lane l at bits 8l+:8);
//               address nin*(SIDE+2)^2 + pixel, pixel row-major in the window (1x1: the
//               SIDE x SIDE output pixels).
//   w memory  : word = 9*LANES bits.  3x3: address (k*N_IN + nin)*QW + b, bit tap*LANES + lane.
//               1x1: address k*N_IN + nin, bit b*LANES + lane.  depthwise: address b,
//               bit tap*LANES + channel.  Weights are unsigned (w_u); woff is the weight offset.
//   p memory  : per output channel an 8-bit scale and a 32-bit bias.
// Mode encoding (as NE16 conf0[6:5]): 0 = 3x3, 1 = depthwise 3x3, 2 = 1x1.
// Output: 256-bit words, one per cycle with o_valid, pixel-major then beat; a beat holds
// 256/OUT_BITS channels (channel j of the beat at bits j*OUT_BITS +: OUT_BITS).
module ne16_slice #(
    parameter int SIDE    = 3,
    parameter int LANES   = 16,
    parameter int KMAX    = 32,
    parameter int NIN_MAX = 4
) (
    input  logic                    clk,
    input  logic                    rst_n,
    // configuration (stable during a job)
    input  logic [1:0]              mode,
    input  logic [3:0]              qw,
    input  logic [6:0]              k,
    input  logic [4:0]              n_in,
    input  logic signed [31:0]      woff,
    input  logic [4:0]              shift,
    input  logic                    rounding,
    input  logic                    relu,
    input  logic [1:0]              out_sel,   // 0: 8 bit, 1: 16 bit, 2: 32 bit
    input  logic                    norm_en,
    input  logic                    bias_en,
    // memory write ports
    input  logic                    x_we,
    input  logic [15:0]             x_addr,
    input  logic [LANES*8-1:0]      x_wdata,
    input  logic                    w_we,
    input  logic [15:0]             w_addr,
    input  logic [9*LANES-1:0]      w_wdata,
    input  logic                    p_we,
    input  logic [7:0]              p_addr,
    input  logic [7:0]              p_scale,
    input  logic signed [31:0]      p_bias,
    // control
    input  logic                    start,
    output logic                    busy,
    output logic                    done,
    // output stream
    output logic                    o_valid,
    output logic [255:0]            o_data
);
    localparam int RR = (SIDE + 2) * (SIDE + 2);
    localparam int XDEPTH = NIN_MAX * RR;
    localparam int WDEPTH = NIN_MAX * KMAX * 8;

    logic [LANES*8-1:0] xmem [XDEPTH];
    logic [9*LANES-1:0] wmem [WDEPTH];
    logic [7:0]         scale_m [KMAX];
    logic [31:0]        bias_m [KMAX];

    always_ff @(posedge clk) begin
        if (x_we) xmem[x_addr] <= x_wdata;
        if (w_we) wmem[w_addr] <= w_wdata;
        if (p_we) begin
            scale_m[p_addr] <= p_scale;
            bias_m[p_addr] <= p_bias;
        end
    end

    logic [15:0]        x_raddr, w_raddr;
    logic [7:0]         p_raddr;
    logic [LANES*8-1:0] x_rdata;
    logic [9*LANES-1:0] w_rdata;
    logic [4*8-1:0]     p_scales;
    logic [8*32-1:0]    p_biases;
    always_comb begin
        x_rdata = xmem[x_raddr];
        w_rdata = wmem[w_raddr];
        for (int j = 0; j < 8; j++) begin  // channels p_raddr + j (those >= KMAX read as 0)
            if (j < 4) p_scales[j * 8 +: 8] = (32'(p_raddr) + j < KMAX)
                                             ? scale_m[32'(p_raddr) + j] : 8'd0;
            p_biases[j * 32 +: 32] = (32'(p_raddr) + j < KMAX) ? bias_m[32'(p_raddr) + j] : 32'd0;
        end
    end

    ne16_engine #(.SIDE(SIDE), .LANES(LANES), .KMAX(KMAX)) u_engine (
        .clk, .rst_n, .mode, .qw, .k, .n_in, .woff, .shift, .rounding, .relu, .out_sel, .norm_en,
        .bias_en, .start, .busy, .done, .o_valid, .o_data, .x_raddr, .x_rdata, .w_raddr, .w_rdata,
        .p_raddr, .p_scales, .p_biases);
endmodule

// The engine: control, input window, columns, streamout. The memory read ports are
// combinational (data of this cycle's address in the same cycle), like the bench memories.
module ne16_engine #(
    parameter int SIDE  = 3,
    parameter int LANES = 16,
    parameter int KMAX  = 32
) (
    input  logic                    clk,
    input  logic                    rst_n,
    input  logic [1:0]              mode,
    input  logic [3:0]              qw,
    input  logic [6:0]              k,
    input  logic [4:0]              n_in,
    input  logic signed [31:0]      woff,
    input  logic [4:0]              shift,
    input  logic                    rounding,
    input  logic                    relu,
    input  logic [1:0]              out_sel,
    input  logic                    norm_en,
    input  logic                    bias_en,
    input  logic                    start,
    output logic                    busy,
    output logic                    done,
    output logic                    o_valid,
    output logic [255:0]            o_data,
    output logic [15:0]             x_raddr,   // input pixel word
    input  logic [LANES*8-1:0]      x_rdata,
    output logic [15:0]             w_raddr,   // weight word
    input  logic [9*LANES-1:0]      w_rdata,
    output logic [7:0]              p_raddr,   // first channel of 4 scales / 8 biases
    input  logic [4*8-1:0]          p_scales,
    input  logic [8*32-1:0]         p_biases
);
    localparam int COLS = SIDE * SIDE;
    localparam int R = SIDE + 2;
    localparam int RR = R * R;
    localparam int PIXW = LANES * 8;   // bits of one window pixel
    localparam int ROWW = KMAX * 32;   // bits of one column's accumulators

    typedef enum logic [3:0] {
        S_IDLE, S_LOAD, S_WOFF, S_MV, S_UPD, S_NQM, S_NQB, S_SO
    } state_t;

    state_t      state;
    logic [15:0] cnt;
    logic [4:0]  nin;
    logic [6:0]  kk;     // output channel of the MV phase
    logic [3:0]  bb;     // weight bit of the MV phase
    logic [15:0] pix;    // streamout pixel
    logic [3:0]  beat;   // streamout beat

    // ------------------------------------------------------------------ derived lengths
    logic [1:0]  osel;   // output width: 0 = 8, 1 = 16, 2 = 32 bit
    logic [4:0]  bpp;
    logic [15:0] len_load, len_woff, len_mv, len_nqm, len_nqb, len_so, plen;
    always_comb begin
        osel = (out_sel == 2'd3) ? 2'd2 : out_sel;
        bpp = 5'(((32'(k) << (32'd3 + 32'(osel))) + 32'd255) >> 8);
        len_load = (mode == 2'd2) ? 16'(10 + COLS) : 16'(6 + RR);
        len_woff = (mode == 2'd1) ? 16'(6 + 32'(k)) : 16'd6;
        len_mv = (mode == 2'd2) ? 16'(6 + 32'(k)) : 16'(6 + 32'(k) * 32'(qw));
        len_nqm = 16'(9 + ((32'(k) + 3) >> 2));
        len_nqb = 16'(8 + ((32'(k) + 7) >> 3));
        len_so = 16'(3 + COLS * 32'(bpp) + 1);
        case (state)
            S_LOAD:  plen = len_load;
            S_WOFF:  plen = len_woff;
            S_MV:    plen = len_mv;
            S_UPD:   plen = 16'd2;
            S_NQM:   plen = len_nqm;
            S_NQB:   plen = len_nqb;
            S_SO:    plen = len_so;
            default: plen = 16'd1;
        endcase
    end

    // ------------------------------------------------------------------ memory reads
    logic [15:0] load_pix;   // window pixel fetched this LOAD cycle
    logic        load_en;
    logic [5:0]  grp;        // channel group of the NQ phases (4 channels in NQM, 8 in NQB)
    always_comb begin
        load_pix = cnt - ((mode == 2'd2) ? 16'd10 : 16'd6);
        load_en = state == S_LOAD && cnt >= ((mode == 2'd2) ? 16'd10 : 16'd6)
                  && load_pix < 16'(RR);
        x_raddr = 16'(32'(nin) * RR + 32'(load_pix));
        case (mode)
            2'd2:    w_raddr = 16'(32'(kk) * 32'(n_in) + 32'(nin));
            2'd1:    w_raddr = 16'(bb);
            default: w_raddr = 16'((32'(kk) * 32'(n_in) + 32'(nin)) * 32'(qw) + 32'(bb));
        endcase
        grp = (state == S_NQM) ? 6'(cnt - 16'd9) : 6'(cnt - 16'd8);
        p_raddr = (state == S_NQM) ? {grp, 2'b00} : 8'({grp, 3'b000});
    end

    // ------------------------------------------------------------------ input window
    // LOAD shifts pixel words in at the top: after RR words (3x3, depthwise) pixel p sits at
    // slot p; after COLS words (1x1) output pixel c sits at slot RR - COLS + c.
    logic [RR*PIXW-1:0] xbuf;
    always_ff @(posedge clk)
        if (load_en) xbuf <= {x_rdata, xbuf[RR*PIXW-1:PIXW]};

    // weight bits and offset-sum inputs each (tap, lane) contributes, common to all columns
    logic [9*LANES-1:0] wsel, xsel;
    always_comb
        for (int t = 0; t < 9; t++)
            for (int l = 0; l < LANES; l++) begin
                case (mode)
                    2'd2: begin  // 1x1: tap t carries weight bit t, every tap reads the pixel
                        wsel[t * LANES + l] = w_rdata[t * LANES + l] && t < 8 && t < 32'(qw);
                        xsel[t * LANES + l] = (t == 0);
                    end
                    2'd1: begin  // depthwise: lane kk only
                        wsel[t * LANES + l] = w_rdata[t * LANES + l] && 32'(kk) == l;
                        xsel[t * LANES + l] = (32'(kk) == l);
                    end
                    default: begin
                        wsel[t * LANES + l] = w_rdata[t * LANES + l];
                        xsel[t * LANES + l] = 1'b1;
                    end
                endcase
            end

    // window pixel of column c and tap t (3x3 / depthwise)
    function automatic int wpix(input int c, input int t);
        wpix = ((c / SIDE) + (t / 3)) * R + (c % SIDE) + (t % 3);
    endfunction

    // ------------------------------------------------------------------ columns
    logic [1:0] acc_op;
    logic       acc_clear;
    always_comb begin
        acc_clear = state == S_IDLE && start;
        if (state == S_MV && cnt >= 16'd6) acc_op = 2'd1;
        else if (state == S_NQM && cnt >= 16'd9) acc_op = 2'd2;
        else if (state == S_NQB && cnt >= 16'd8) acc_op = 2'd3;
        else acc_op = 2'd0;
    end

    logic [COLS*ROWW-1:0] rows;
    for (genvar c = 0; c < COLS; c++) begin : g_col
        logic [9*PIXW-1:0] taps;
        always_comb
            for (int t = 0; t < 9; t++)
                taps[t * PIXW +: PIXW] = (mode == 2'd2) ? xbuf[(RR - COLS + c) * PIXW +: PIXW]
                                                        : xbuf[wpix(c, t) * PIXW +: PIXW];
        ne16_column #(.LANES(LANES), .KMAX(KMAX)) u_col (
            .clk, .taps, .wsel, .xsel, .bitwise(mode == 2'd2), .bb, .woff, .clear(acc_clear),
            .op(acc_op), .kk, .grp, .k, .scales(p_scales), .biases(p_biases), .bias_en,
            .rounding, .relu, .shift, .osel, .row(rows[c * ROWW +: ROWW]));
    end

    // ------------------------------------------------------------------ streamout
    // Lane j of a beat is channel beat * (256 / OUT_BITS) + j of pixel `pix`.
    logic [ROWW-1:0]   row;
    logic [32*32-1:0]  lane_q;
    logic [255:0]      so_word;
    always_comb begin
        row = '0;
        for (int c = 0; c < COLS; c++)
            if (pix == 16'(c)) row = rows[c * ROWW +: ROWW];
    end
    for (genvar j = 0; j < 32; j++) begin : g_lane
        logic [31:0] a;
        logic        ok;
        always_comb begin
            a = '0;
            ok = 1'b0;
            for (int s = 0; s < 3; s++)
                if (j < (32 >> s))
                    for (int b = 0; b * (32 >> s) + j < KMAX; b++)
                        if (osel == 2'(s) && beat == 4'(b)) begin
                            a = row[(b * (32 >> s) + j) * 32 +: 32];
                            ok = b * (32 >> s) + j < 32'(k);
                        end
        end
        assign lane_q[j * 32 +: 32] = ok ? a : 32'd0;  // already quantised in NQ (or raw)
    end
    always_comb begin
        so_word = 256'd0;
        for (int j = 0; j < 32; j++)
            case (osel)
                2'd0:    so_word[j * 8 +: 8] = lane_q[j * 32 +: 8];
                2'd1:    if (j < 16) so_word[j * 16 +: 16] = lane_q[j * 32 +: 16];
                default: if (j < 8) so_word[j * 32 +: 32] = lane_q[j * 32 +: 32];
            endcase
    end

    // ------------------------------------------------------------------ control
    logic last;
    assign last = (cnt == plen - 16'd1);
    assign busy = (state != S_IDLE);

    always_ff @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            state <= S_IDLE;
            cnt <= '0;
            nin <= '0;
            kk <= '0;
            bb <= '0;
            pix <= '0;
            beat <= '0;
            done <= 1'b0;
            o_valid <= 1'b0;
            o_data <= '0;
        end else begin
            done <= 1'b0;
            o_valid <= 1'b0;
            cnt <= last ? 16'd0 : cnt + 16'd1;
            case (state)
                S_IDLE: begin
                    cnt <= '0;
                    if (start) begin
                        state <= S_LOAD;
                        nin <= '0;
                    end
                end
                S_LOAD: if (last) state <= S_WOFF;
                S_WOFF: begin
                    if (last) begin
                        state <= S_MV;
                        kk <= '0;
                        bb <= '0;
                    end
                end
                S_MV: begin
                    if (cnt >= 16'd6) begin
                        if (mode == 2'd2 || bb == qw - 4'd1) begin
                            bb <= '0;
                            kk <= kk + 7'd1;
                        end else begin
                            bb <= bb + 4'd1;
                        end
                    end
                    if (last) state <= S_UPD;
                end
                S_UPD: begin
                    if (last) begin
                        if (nin == n_in - 5'd1) begin
                            state <= norm_en ? S_NQM : S_SO;
                            pix <= '0;
                            beat <= '0;
                        end else begin
                            nin <= nin + 5'd1;
                            state <= S_LOAD;
                        end
                    end
                end
                S_NQM: if (last) state <= bias_en ? S_NQB : S_SO;
                S_NQB: if (last) state <= S_SO;
                S_SO: begin
                    if (cnt >= 16'd3 && pix < 16'(COLS)) begin
                        o_valid <= 1'b1;
                        o_data <= so_word;
                        if (beat == 4'(bpp - 5'd1)) begin
                            beat <= '0;
                            pix <= pix + 16'd1;
                        end else begin
                            beat <= beat + 4'd1;
                        end
                    end
                    if (last) begin
                        done <= 1'b1;  // visible right after the job's last cycle
                        state <= S_IDLE;
                    end
                end
                default: state <= S_IDLE;
            endcase
        end
    end
endmodule

// One output pixel: the 9 x LANES products of this cycle's weight bits with the window, the
// weight-offset input sum, and the KMAX 32-bit accumulators (channel q at row[q*32 +: 32]).
//   op 1 (MV):  acc[kk] += products << bb (1x1: sum over taps t of products_t << t),
//               plus woff * offset sum on the channel's first weight bit (bb == 0);
//   op 2 (NQM): acc[4 grp + j] = bias_en ? (acc * scale_j)[31:0] : quant(acc * scale_j) (j < 4);
//   op 3 (NQB): acc[8 grp + j] = quant((acc + bias_j) mod 2^32) (j < 8); channels < k.
// quant = rounding, ReLU, arithmetic shift, clipping to the output width (ne16_quant).
module ne16_column #(
    parameter int LANES = 16,
    parameter int KMAX  = 32
) (
    input  logic                   clk,
    input  logic [9*LANES*8-1:0]   taps,     // tap t, lane l at bits (t*LANES + l)*8 +: 8
    input  logic [9*LANES-1:0]     wsel,     // weight bit of (tap, lane)
    input  logic [9*LANES-1:0]     xsel,     // (tap, lane) counts in the offset sum
    input  logic                   bitwise,  // 1x1: tap t is weight bit t
    input  logic [3:0]             bb,
    input  logic [31:0]            woff,
    input  logic                   clear,
    input  logic [1:0]             op,
    input  logic [6:0]             kk,
    input  logic [5:0]             grp,
    input  logic [6:0]             k,
    input  logic [4*8-1:0]         scales,   // channels 4 grp + j (NQM)
    input  logic [8*32-1:0]        biases,   // channels 8 grp + j (NQB)
    input  logic                   bias_en,
    input  logic                   rounding,
    input  logic                   relu,
    input  logic [4:0]             shift,
    input  logic [1:0]             osel,
    output logic [KMAX*32-1:0]     row
);
    localparam int PW = $clog2(LANES * 255 + 1);       // one tap's product sum
    localparam int SW = $clog2(9 * LANES * 255 + 1);   // all taps' sums
    localparam int BW = PW + 8;                        // 1x1: taps weighted 2^t, t < 8

    logic [PW-1:0] part [9];
    logic [SW-1:0] s3, xs;
    logic [BW-1:0] s1;
    logic [31:0]   mv;
    always_comb begin
        s3 = '0;
        s1 = '0;
        xs = '0;
        for (int t = 0; t < 9; t++) begin
            part[t] = '0;
            for (int l = 0; l < LANES; l++) begin
                part[t] = part[t] + PW'(taps[(t * LANES + l) * 8 +: 8] & {8{wsel[t * LANES + l]}});
                xs = xs + SW'(taps[(t * LANES + l) * 8 +: 8] & {8{xsel[t * LANES + l]}});
            end
            s3 = s3 + SW'(part[t]);
            if (t < 8) s1 = s1 + (BW'(part[t]) << t);
        end
        mv = bitwise ? 32'(s1) : (32'(s3) << bb);
    end

    // read slots: acc[4*base + j], j < 8 (MV reads its channel from slot kk % 4)
    logic [5:0]  base;
    logic [31:0] rd [8];
    always_comb begin
        case (op)
            2'd1:    base = 6'(kk >> 2);
            2'd2:    base = grp;
            default: base = 6'(32'(grp) << 1);
        endcase
        for (int j = 0; j < 8; j++) begin
            rd[j] = '0;
            for (int b = 0; 4 * b + j < KMAX; b++)
                if (base == 6'(b)) rd[j] = row[(4 * b + j) * 32 +: 32];
        end
    end

    logic [31:0] mv_sum;
    logic signed [39:0] product [4];
    logic [31:0] scaled [4];
    logic [31:0] biased [8];
    always_comb begin
        mv_sum = rd[{1'b0, kk[1:0]}] + mv + ((bb == 4'd0) ? woff * 32'(xs) : 32'd0);
        for (int j = 0; j < 4; j++)
            product[j] = 40'($signed(rd[j])) * $signed({32'd0, scales[j * 8 +: 8]});
    end
    for (genvar j = 0; j < 4; j++) begin : g_nqm
        logic [31:0] q;
        ne16_quant #(.W(40)) u_q (.a(product[j]), .rounding, .relu, .shift, .osel, .q);
        assign scaled[j] = bias_en ? product[j][31:0] : q;
    end
    for (genvar j = 0; j < 8; j++) begin : g_nqb
        logic [31:0] sum;
        assign sum = rd[j] + biases[j * 32 +: 32];
        ne16_quant #(.W(32)) u_q (.a(sum), .rounding, .relu, .shift, .osel, .q(biased[j]));
    end

    always_ff @(posedge clk)
        for (int q = 0; q < KMAX; q++)
            if (clear) row[q * 32 +: 32] <= '0;
            else if (op == 2'd1 && 32'(kk) == q) row[q * 32 +: 32] <= mv_sum;
            else if (op == 2'd2 && 32'(grp) == q / 4 && q < 32'(k))
                row[q * 32 +: 32] <= scaled[q % 4];
            else if (op == 2'd3 && 32'(grp) == q / 8 && q < 32'(k))
                row[q * 32 +: 32] <= biased[q % 8];
endmodule

// Normalisation/quantisation of one W-bit signed value (the 40-bit product without bias, the
// 32-bit biased accumulator with bias): rounding (saturating at W bits), ReLU, arithmetic right
// shift, and clipping to the output width.
module ne16_quant #(
    parameter int W = 32
) (
    input  logic [W-1:0] a,
    input  logic         rounding,
    input  logic         relu,
    input  logic [4:0]   shift,
    input  logic [1:0]   osel,      // 0: 8, 1: 16, 2: 32 bit
    output logic [31:0]  q
);
    localparam logic signed [W:0] TOP = (W + 1)'((64'sd1 <<< (W - 1)) - 64'sd1);
    logic signed [W:0]   v;
    logic signed [W-1:0] r;
    logic signed [W-1:0] hi;
    always_comb begin
        v = (W + 1)'($signed(a));
        if (rounding && shift != 5'd0) begin
            v = v + ((W + 1)'(1) <<< (shift - 5'd1));
            if (v > TOP) v = TOP;
        end
        r = v[W-1:0];
        if (relu && r < 0) r = '0;
        r = r >>> shift;
        case (osel)
            2'd0:    hi = relu ? W'(255) : W'(127);
            2'd1:    hi = relu ? W'(65535) : W'(32767);
            default: hi = W'(32'h7fff_ffff);
        endcase
        if (r > hi) r = hi;
        if (!relu && r < -hi - W'(1)) r = -hi - W'(1);
        q = r[31:0];
    end
endmodule
